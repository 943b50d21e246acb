import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTH_VARIABLES, type LaunchedStack, launchStack } from "../support/launch-stack.js";
import { ensureNextBuild } from "../support/next-build.js";
import { type HttpPeer, startHttpPeer } from "../support/peers.js";

/**
 * The console against an Inngest whose API does not list functions (as Inngest Cloud's does not): a real HTTP
 * server that answers 404 to everything stands where Inngest would be. The functions page falls back to what
 * the app itself registers and points to the dashboard for live figures.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

describe.skipIf(!existsSync(CHROMIUM))("console with an Inngest that cannot list functions", () => {
  let inngest: HttpPeer;
  let stack: LaunchedStack;
  let browser: Browser;

  beforeAll(async () => {
    inngest = await startHttpPeer((_req, res) => {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "not found" }));
    });
    const buildEnv = { ...process.env };
    delete buildEnv.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY;
    await ensureNextBuild(".next", buildEnv);
    const dataDir = join(mkdtempSync(join(tmpdir(), "jobdeck-ui-ext-")), "pglite");
    stack = await launchStack({ JOBDECK_DATA_DIR: dataDir, INNGEST_DEV: inngest.url }, AUTH_VARIABLES);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.kill();
    await inngest?.close();
  }, 30_000);

  it("lists the functions the app registers, with their flow control, and links to the Inngest dashboard", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(`${stack.baseUrl}/functions`);
    const notice = page.getByTestId("functions-fallback");
    await notice.waitFor({ timeout: 30_000 });
    expect(await notice.textContent()).toContain("Inngest answered 404");
    expect(await notice.getByRole("link", { name: "the Inngest dashboard" }).getAttribute("href")).toBe(inngest.url);
    const demo = page.locator('tr[data-function="jobdeck-demo-task"]');
    expect(await demo.textContent()).toContain("demo/task.requested");
    expect(await demo.textContent()).toContain('concurrency: {"limit":10}');
    expect(await page.locator('tr[data-function="jobdeck-demo-task-failure"]').textContent()).toContain("inngest/function.failed");
    expect(await page.getByRole("button", { name: /^Pause / }).count()).toBe(0);
    mkdirSync(join(".test-artifacts", "screenshots"), { recursive: true });
    await page.screenshot({ path: join(".test-artifacts", "screenshots", "functions-without-engine-api.png"), fullPage: true });
    expect(inngest.requests.some((r) => r.path.startsWith("/v1/functions"))).toBe(true);
  }, 60_000);
});
