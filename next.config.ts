import type { NextConfig } from "next";

/** Headers every response carries (pages also get a per-request Content-Security-Policy from proxy.ts). */
const SECURITY_HEADERS = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=()" },
  { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
];

const config: NextConfig = {
  // One build folder per auth mode can be chosen at build time (NEXT_DIST_DIR), see the README.
  distDir: process.env.NEXT_DIST_DIR || ".next",
  typedRoutes: false,
  poweredByHeader: false,
  // Next's dev indicator sits bottom-left by default, over the identity at the foot of the navigation.
  devIndicators: { position: "bottom-right" },
  experimental: {
    // Turbopack's persistent dev cache off (opt back in with JOBDECK_TURBOPACK_DEV_CACHE=1). A snapshot it restores,
    // taken after several pages had compiled, answers the first tab to reconnect after a restart with a "restart"
    // frame on every connect, which reloads it, and the next, over and over (Next.js 16.4 / Turbopack; only
    // `rm -rf .next` cured it). Without the cache each `npm run dev` compiles from scratch (~10 s more here).
    turbopackFileSystemCacheForDev: process.env.JOBDECK_TURBOPACK_DEV_CACHE === "1",
  },
  // Local packages shipped as TypeScript source.
  transpilePackages: ["@jobdeck/outbound-guard", "@jobdeck/pg-prepared", "@jobdeck/safe-json"],
  async headers() {
    return [{ source: "/:path*", headers: SECURITY_HEADERS }];
  },
};

export default config;
