import type { NextConfig } from "next";

const config: NextConfig = {
  // One build folder per auth mode can be chosen at build time (NEXT_DIST_DIR), see the README.
  distDir: process.env.NEXT_DIST_DIR || ".next",
  typedRoutes: false,
};

export default config;
