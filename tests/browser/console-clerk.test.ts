import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumMissing, launchBrowser, saveScreenshot } from "../support/browser.js";
import { clerkTestKeys, mintSessionToken } from "../support/clerk.js";
import { type LaunchedStack, launchStack } from "../support/launch-stack.js";
import { ensureNextBuild } from "../support/next-build.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

/**
 * The console with Clerk on, in a real browser: a session cookie minted for one organization shows that
 * organization's jobs and nothing of another's. Requests to Clerk's servers are blocked (there is no network).
 */
describe.skipIf(chromiumMissing)("console with Clerk", () => {
  const keys = clerkTestKeys();
  let database: TestDatabase;
  let stack: LaunchedStack;
  let browser: Browser;

  beforeAll(async () => {
    database = await createTestDatabase("jobdeck_ui_clerk");
    await ensureNextBuild(".next-clerk", { ...process.env, ...keys.env });
    stack = await launchStack({ ...keys.env, NEXT_DIST_DIR: ".next-clerk", DATABASE_URL: database.url });
    browser = await launchBrowser();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.kill();
    await database?.drop();
  }, 60_000);

  it("shows the signed-in organization's jobs and not another's", async () => {
    const create = async (token: string, taskId: string) => {
      const res = await fetch(`${stack.baseUrl}/api/jobs`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ type: "demo-task", payload: { taskId } }),
      });
      return ((await res.json()) as { id: string }).id;
    };
    const mine = await create(await mintSessionToken(keys.privateKey, { userId: "user_ann", orgId: "org_acme" }), "acme-task");
    const theirs = await create(await mintSessionToken(keys.privateKey, { userId: "user_bob", orgId: "org_globex" }), "globex-task");

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.route(
      (url) => !url.href.startsWith(stack.baseUrl),
      (route) => route.abort(),
    );
    const session = await mintSessionToken(keys.privateKey, { userId: "user_ann", orgId: "org_acme", ttlSec: 3600 });
    const iat = Math.floor(Date.now() / 1000) - 60;
    await context.addCookies([
      { name: "__session", value: session, url: stack.baseUrl },
      { name: "__client_uat", value: String(iat), url: stack.baseUrl },
      { name: "__clerk_db_jwt", value: "dvb_test", url: stack.baseUrl },
    ]);
    const page = await context.newPage();
    await page.goto(`${stack.baseUrl}/jobs`);
    await page.locator(`tr[data-job-id="${mine}"]`).waitFor({ timeout: 30_000 });
    expect(await page.locator(`tr[data-job-id="${theirs}"]`).count()).toBe(0);
    expect(await page.getByTestId("dev-identity").count()).toBe(0);
    // clerk-js cannot load here, so the shell shows the server's view of the session instead of empty controls.
    await page.getByTestId("session-label").filter({ hasText: "user_ann" }).filter({ hasText: "org_acme" }).waitFor();
    await page.goto(`${stack.baseUrl}/jobs/${theirs}`);
    await page.getByText("No such job in your organization.").waitFor();
    await saveScreenshot(page, "clerk-other-org-job", false);
    await context.close();
  }, 90_000);
});
