import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumMissing, launchBrowser, saveScreenshot } from "../support/browser.js";
import { type LaunchedStack, launchFreshMachineStack } from "../support/launch-stack.js";
import { type HttpPeer, startHttpPeer } from "../support/peers.js";

/**
 * The console against an Inngest whose API does not list functions (as Inngest Cloud's does not): a real HTTP
 * server that answers 404 to everything stands where Inngest would be. The functions page falls back to what
 * the app itself registers and points to the dashboard for live figures; pages that need Inngest's API say so.
 */
describe.skipIf(chromiumMissing)("console with an Inngest that cannot list functions", () => {
  let inngest: HttpPeer;
  let stack: LaunchedStack;
  let browser: Browser;

  beforeAll(async () => {
    inngest = await startHttpPeer((_req, res) => {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "not found" }));
    });
    const dataDir = join(mkdtempSync(join(tmpdir(), "jobdeck-ui-ext-")), "pglite");
    stack = await launchFreshMachineStack(dataDir, { INNGEST_DEV: inngest.url });
    browser = await launchBrowser();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.kill();
    await inngest?.close();
  }, 30_000);

  it("shows empty states on a fresh database, and says so where Inngest cannot answer", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const expectText = async (path: string, text: string, role?: "alert") => {
      await page.goto(`${stack.baseUrl}${path}`);
      await (role ? page.getByRole(role).filter({ hasText: text }) : page.getByText(text)).first().waitFor({ timeout: 15_000 });
    };
    await expectText("/", "No jobs yet.");
    await expectText("/", "No failures.");
    await expectText("/jobs", "No jobs match.");
    await expectText("/mailbox", "No messages.");
    await expectText("/events", "Could not load events", "alert");
    // Inngest's REST API has no list of every run: the runs page says where to look instead.
    await expectText("/runs", "this Inngest's API does not list runs", "alert");
    // Step logs live in the app, so the log search works against any Inngest.
    await expectText("/logs", "No log lines match.");
    await saveScreenshot(page, "events-without-engine-api");
    await page.close();
  }, 60_000);

  it("lists the functions the app registers, with their flow control, and links to the Inngest dashboard", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(`${stack.baseUrl}/functions`);
    const notice = page.getByTestId("functions-fallback");
    await notice.waitFor({ timeout: 30_000 });
    expect(await notice.textContent()).toContain("Inngest answered 404");
    expect(await notice.getByRole("link", { name: "the Inngest dashboard" }).getAttribute("href")).toBe(inngest.url);
    const demo = page.locator('tr[data-function="jobdeck-demo-task"]');
    expect(await demo.textContent()).toContain("demo/task.requested");
    expect(await demo.textContent()).toContain("at most 10 running");
    // The failure handler is listed under the function it handles.
    expect(await page.locator('tr[data-failure-handler-of="jobdeck-demo-task"]').textContent()).toContain(
      "failure handler jobdeck-demo-task-failure",
    );
    expect(await page.getByRole("button", { name: /^Pause / }).count()).toBe(0);
    await saveScreenshot(page, "functions-without-engine-api");
    expect(inngest.requests.some((r) => r.path.startsWith("/v1/functions"))).toBe(true);
  }, 60_000);
});
