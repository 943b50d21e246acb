import "./globals.css";
import "./timeline.css";
import "./notices-and-tags.css";
import { ClerkProvider } from "@clerk/nextjs";
import { headers } from "next/headers";
import type { ReactNode } from "react";
import { Identity } from "@/components/shell/identity";
import { Nav } from "@/components/shell/nav";
import { Providers } from "@/components/trpc";
import { clerkEnabled } from "@/env";

export const metadata = { title: "Jobdeck", description: "Background jobs for Next.js" };

/** The console shell: navigation with the failed-jobs badge and who is signed in. Clerk's provider only when configured. */
export default async function RootLayout({ children }: { children: ReactNode }) {
  // Every page renders per request: its scripts carry the nonce of this request's Content-Security-Policy (proxy.ts).
  const nonce = (await headers()).get("x-nonce") ?? undefined;
  const clerk = clerkEnabled();
  const doc = (
    <html lang="en">
      <body>
        <Providers>
          <div className="shell">
            <Nav identity={<Identity clerk={clerk} />} />
            <main className="main" id="main">
              {children}
            </main>
          </div>
        </Providers>
      </body>
    </html>
  );
  return clerk ? <ClerkProvider nonce={nonce}>{doc}</ClerkProvider> : doc;
}
