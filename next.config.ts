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
  // Local packages shipped as TypeScript source.
  transpilePackages: ["@jobdeck/outbound-guard", "@jobdeck/safe-json"],
  async headers() {
    return [{ source: "/:path*", headers: SECURITY_HEADERS }];
  },
};

export default config;
