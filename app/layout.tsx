import { ClerkProvider } from "@clerk/nextjs";
import type { ReactNode } from "react";
import { clerkEnabled } from "@/env";

export const metadata = { title: "Jobdeck", description: "Background jobs for Next.js" };

/** Clerk's provider only when Clerk is configured: without keys it would fail every page. */
export default function RootLayout({ children }: { children: ReactNode }) {
  const doc = (
    <html lang="en">
      <body style={{ fontFamily: "system-ui, sans-serif", margin: "2rem", color: "#111" }}>{children}</body>
    </html>
  );
  return clerkEnabled() ? <ClerkProvider>{doc}</ClerkProvider> : doc;
}
