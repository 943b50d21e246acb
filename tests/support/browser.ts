import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";

/** Debian's chromium (`apt-get install chromium`); browser suites are skipped where it is missing. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const chromiumMissing = !existsSync(CHROMIUM);

/** Headless chromium driven by playwright-core: nothing is downloaded. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking"],
  });
}

const SHOTS = join(".test-artifacts", "screenshots");

/** A full-page screenshot in .test-artifacts/screenshots (git-ignored, kept by CI as an artifact). */
export async function saveScreenshot(page: Page, name: string, fullPage = true): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });
}

/**
 * Collects what the page's Content-Security-Policy blocked (chromium reports each refusal on the console), so a
 * suite can show the console runs under its policy with nothing refused.
 */
export function watchCspViolations(page: Page): () => string[] {
  const seen: string[] = [];
  page.on("console", (msg) => {
    const text = msg.text();
    if (/Content Security Policy/i.test(text)) seen.push(`${page.url()}: ${text}`);
  });
  return () => [...seen];
}
