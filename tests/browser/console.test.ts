import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import axe from "axe-core";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumMissing, launchBrowser, saveScreenshot, watchCspViolations } from "../support/browser.js";
import { type LaunchedStack, launchFreshMachineStack } from "../support/launch-stack.js";

/**
 * The console in a real browser (Debian's chromium through playwright-core) against `npm start`: the flows
 * people use it for. Each test leaves a screenshot in .test-artifacts/screenshots (git-ignored, kept by CI).
 */
describe.skipIf(chromiumMissing)("console in a browser", () => {
  let stack: LaunchedStack;
  let browser: Browser;
  let page: Page;
  let cspViolations: () => string[] = () => [];
  let dataDir = "";
  const missing: string[] = [];

  beforeAll(async () => {
    dataDir = join(mkdtempSync(join(tmpdir(), "jobdeck-ui-")), "pglite");
    stack = await launchFreshMachineStack(dataDir);
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    cspViolations = watchCspViolations(page);
    // Pages and assets that are missing (a favicon, a script); the API answers 404 for unknown ids on purpose.
    page.on("response", (res) => {
      const url = new URL(res.url());
      if (res.status() === 404 && !url.pathname.startsWith("/api/")) missing.push(url.pathname);
    });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.kill();
  }, 30_000);

  const shot = (name: string) => saveScreenshot(page, name);
  const api = async (path: string, body?: unknown) => {
    const res = await fetch(`${stack.baseUrl}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await res.json()) as any;
  };
  const badgeCount = async () => {
    const badge = page.getByTestId("failed-badge");
    if (!(await badge.count())) return 0;
    return Number.parseInt(((await badge.textContent()) ?? "").trim(), 10);
  };

  it("creates a demo job from the form and watches it reach COMPLETED with five steps", async () => {
    await page.goto(`${stack.baseUrl}/jobs/new`);
    await page.getByLabel("Job type", { exact: true }).selectOption("demo-task");
    await page.locator("#f-delayMs").fill("400");
    await page.getByRole("button", { name: "Create job" }).click();
    await page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/);
    await page.locator('.status[data-status="COMPLETED"]').first().waitFor({ timeout: 30_000 });
    await expect.poll(() => page.locator('li.step[data-step-status="COMPLETED"]').count()).toBe(5);
    expect(await page.locator("li.step").allInnerTexts()).toHaveLength(5);
    const id = page.url().split("/").at(-1) as string;
    expect((await api(`/api/jobs/${id}`)).source).toBe("UI");
    await shot("job-detail-completed");
  }, 60_000);

  it("shows field-level validation messages from the server", async () => {
    await page.goto(`${stack.baseUrl}/jobs/new`);
    await page.getByLabel("Job type", { exact: true }).selectOption("demo-task");
    await page.locator("#f-delayMs").fill("99999");
    await page.getByRole("button", { name: "Create job" }).click();
    await expect.poll(() => page.locator("#err-delayMs").textContent()).toContain("30000");
    expect(await page.locator("#f-delayMs").getAttribute("aria-invalid")).toBe("true");
    await shot("create-job-validation");
  });

  it("a failing job raises the failed badge and shows its error", async () => {
    await page.goto(`${stack.baseUrl}/jobs`);
    const before = await badgeCount();
    const { id } = await api("/api/jobs", { type: "demo-task", payload: { simulateFailure: true, failAtStep: 2 } });
    await expect.poll(badgeCount, { timeout: 30_000 }).toBe(before + 1);
    await page.goto(`${stack.baseUrl}/jobs/${id}`);
    await page.getByRole("alert").filter({ hasText: "simulated failure at step 2" }).first().waitFor();
    await shot("job-detail-failed");
    // Acknowledged from the list, the failure leaves the badge (the job stays FAILED).
    await page.goto(`${stack.baseUrl}/jobs?status=FAILED`);
    await page.getByLabel(`Select job ${id.slice(0, 8)}`).check();
    await page.getByRole("button", { name: "Acknowledge failures" }).click();
    await page.getByRole("button", { name: "Acknowledge 1 failure" }).click();
    await page.getByRole("status").filter({ hasText: "Acknowledged 1 of 1" }).waitFor();
    await expect.poll(badgeCount, { timeout: 10_000 }).toBe(before);
    expect((await api(`/api/jobs/${id}`)).status).toBe("FAILED");
  }, 60_000);

  it("bulk-retries two failed jobs after a confirmation with the count", async () => {
    const a = (await api("/api/jobs", { type: "demo-task", payload: { simulateFailure: true, failAtStep: 1, taskId: "bulk-a" } })).id;
    const b = (await api("/api/jobs", { type: "demo-task", payload: { simulateFailure: true, failAtStep: 1, taskId: "bulk-b" } })).id;
    await page.goto(`${stack.baseUrl}/jobs`);
    await page.getByLabel("Payload contains").fill("bulk-");
    for (const id of [a, b]) await page.locator(`tr[data-job-id="${id}"] .status[data-status="FAILED"]`).waitFor({ timeout: 30_000 });
    await page.getByLabel(`Select job ${a.slice(0, 8)}`).check();
    await page.getByLabel(`Select job ${b.slice(0, 8)}`).check();
    await page.getByRole("button", { name: "Retry selected" }).click();
    await page.getByRole("alertdialog").getByText("Retry 2 jobs?").waitFor();
    await shot("bulk-retry-confirm");
    await page.getByRole("button", { name: "Retry 2 jobs" }).click();
    await page.getByRole("status").filter({ hasText: "Retried 2 of 2" }).waitFor();
    for (const id of [a, b]) expect((await api(`/api/jobs/${id}`)).attempt).toBe(2);
  }, 60_000);

  it("cancels a sleeping job from its page", async () => {
    const { id } = await api("/api/jobs", { type: "demo-task", payload: { sleepFor: "1h" } });
    await page.goto(`${stack.baseUrl}/jobs/${id}`);
    await page.getByTestId("waiting-reasons").filter({ hasText: "sleeping until" }).waitFor({ timeout: 30_000 });
    await page.getByRole("button", { name: "Cancel job" }).click();
    // It asks first.
    await page.getByRole("alertdialog").getByText("Cancel this job?").waitFor();
    await page.getByRole("button", { name: "Cancel the job" }).click();
    await page.locator('.status[data-status="CANCELLED"]').first().waitFor();
    // A cancellation is not shown as an error.
    expect(await page.locator('[role="alert"][aria-label="Error"]').count()).toBe(0);
    await page.locator('li.step[data-step="sleep-before-step-3"][data-step-status="CANCELLED"]').waitFor();
    expect((await api(`/api/jobs/${id}`)).status).toBe("CANCELLED");
    await shot("job-cancelled");
  }, 60_000);

  it("approves an approval job, after showing why it waits", async () => {
    const { id } = await api("/api/jobs", { type: "approval-workflow", payload: { title: "Refund order 42", amount: 40 } });
    await page.goto(`${stack.baseUrl}/jobs/${id}`);
    await page.getByTestId("waiting-reasons").filter({ hasText: "waiting for event approval/decision.made" }).waitFor({ timeout: 30_000 });
    await shot("approval-waiting");
    await page.getByRole("button", { name: "Approve" }).click();
    await page.locator('.status[data-status="COMPLETED"]').first().waitFor({ timeout: 30_000 });
    expect((await api(`/api/jobs/${id}`)).result.outcome).toBe("APPROVED");
  }, 60_000);

  it("filters the list by text in the payload", async () => {
    const { id } = await api("/api/jobs", { type: "demo-task", payload: { taskId: "needle-in-payload" } });
    await page.goto(`${stack.baseUrl}/jobs`);
    await page.getByLabel("Payload contains").fill("needle-in");
    await page.locator(`tr[data-job-id="${id}"]`).waitFor();
    await expect.poll(() => page.locator("tbody tr[data-job-id]").count()).toBe(1);
    await shot("jobs-filtered");
  });

  it("sends an event from the events page and lists it; the app's own job events are refused", async () => {
    await page.goto(`${stack.baseUrl}/events`);
    await page.getByLabel("Event name").fill("shop/order.placed");
    await page.getByLabel("Data (JSON)").fill('{"orderId": "sent-from-events-page", "orgId": "someone-else"}');
    await page.getByRole("button", { name: "Send event" }).click();
    await page.getByRole("status").filter({ hasText: "Sent:" }).waitFor();
    // Listed for this organization: the server set orgId, whatever the data said.
    await page
      .getByRole("row")
      .filter({ hasText: "sent-from-events-page" })
      .filter({ hasText: "shop/order.placed" })
      .waitFor({ timeout: 30_000 });
    // No function listens to it, and the row says so (the engine keeps each event's fate).
    await page
      .getByRole("row")
      .filter({ hasText: "sent-from-events-page" })
      .filter({ hasText: "no function listens to shop/order.placed" })
      .waitFor();
    for (const name of ["demo/task.requested", "inngest/forged"]) {
      await page.getByLabel("Event name").fill(name);
      await page.getByRole("button", { name: "Send event" }).click();
      await page.getByText("this name is reserved").first().waitFor();
    }
    await shot("events");
  }, 60_000);

  it("pauses and resumes a function, and shows the mailbox", async () => {
    await page.goto(`${stack.baseUrl}/functions`);
    await page.getByRole("button", { name: "Pause jobdeck-render-report", exact: true }).click();
    await page.getByRole("button", { name: "Resume jobdeck-render-report", exact: true }).waitFor();
    await page.locator('tr[data-function="jobdeck-render-report"] [data-testid="paused-badge"]').waitFor();
    await shot("functions");
    // Readable at 1400 px: the table fits, nothing scrolls sideways.
    await page.setViewportSize({ width: 1400, height: 900 });
    const sideways = await page.evaluate(() => {
      const box = document.querySelector(".table-wrap") as HTMLElement;
      return box.scrollWidth - box.clientWidth + (document.documentElement.scrollWidth - document.documentElement.clientWidth);
    });
    expect(sideways).toBeLessThanOrEqual(1);
    await page.setViewportSize({ width: 1280, height: 860 });
    await page.getByRole("button", { name: "Resume jobdeck-render-report", exact: true }).click();
    await page.getByRole("button", { name: "Pause jobdeck-render-report", exact: true }).waitFor();

    await api("/api/jobs", { type: "send-welcome-email", payload: { email: "ui@example.com", name: "Ui" }, idempotencyKey: "ui-mail" });
    await page.goto(`${stack.baseUrl}/mailbox`);
    await page.locator('[data-message-to="ui@example.com"]').filter({ hasText: "Welcome, Ui!" }).waitFor({ timeout: 30_000 });
    await shot("mailbox");
  }, 60_000);

  it("stays usable at a phone's width: no page scrolls sideways", async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    const anyJob = ((await api("/api/jobs?limit=1")).items[0] ?? (await api("/api/jobs", { type: "demo-task", payload: {} }))).id as string;
    const wide: string[] = [];
    for (const path of ["/", "/jobs", "/jobs/new", `/jobs/${anyJob}`, "/runs", "/logs", "/events", "/functions", "/mailbox"]) {
      await page.goto(`${stack.baseUrl}${path}`);
      await page.locator("main h1").first().waitFor();
      await expect.poll(() => page.locator('[aria-busy="true"]').count(), { timeout: 15_000 }).toBe(0);
      // Wide tables scroll inside their own box; the page itself must not.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      if (overflow > 1) wide.push(`${path} is ${overflow}px too wide`);
      if (path === "/jobs") await shot("jobs-phone");
    }
    expect(wide).toEqual([]);
    await page.setViewportSize({ width: 1280, height: 860 });
  }, 60_000);

  it("can be used with the keyboard alone: tab to a job and open it", async () => {
    await page.goto(`${stack.baseUrl}/jobs`);
    await page.locator("tbody tr[data-job-id]").first().waitFor();
    const firstId = await page.locator("tbody tr[data-job-id]").first().getAttribute("data-job-id");
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press("Tab");
      reached = await page.evaluate((id) => document.activeElement?.getAttribute("href") === `/jobs/${id}`, firstId);
    }
    expect(reached).toBe(true);
    await page.keyboard.press("Enter");
    await page.waitForURL(`**/jobs/${firstId}`);
    // sync-analytics fills the queue statistics the overview's charts read (the minute cron does it too).
    const sync = await api("/api/jobs", { type: "sync-analytics", payload: { minutes: 60 } });
    for (let i = 0; i < 100 && (await api(`/api/jobs/${sync.id}/status`)).status !== "COMPLETED"; i++)
      await new Promise((r) => setTimeout(r, 100));
    await page.goto(`${stack.baseUrl}/`);
    await expect.poll(() => page.getByTestId("latency-p50").textContent(), { timeout: 15_000 }).not.toBe("–");
    await page.locator(".recharts-bar-rectangle").first().waitFor();
    await shot("overview");
    await page.goto(`${stack.baseUrl}/jobs`);
    await page.locator("tbody tr[data-job-id]").first().waitFor();
    await shot("jobs-list");
  }, 60_000);

  it("passes an axe WCAG 2.1 AA audit on every page, and every control takes keyboard focus visibly", async () => {
    // A failed and a completed job's pages (the earlier tests leave both; made here when this test runs alone).
    const jobIn = async (status: string, payload: object) => {
      const existing = (await api(`/api/jobs?status=${status}&type=demo-task`)).items[0]?.id as string | undefined;
      if (existing) return existing;
      const { id } = await api("/api/jobs", { type: "demo-task", payload });
      await expect.poll(async () => (await api(`/api/jobs/${id}`)).status, { timeout: 60_000 }).toBe(status);
      return id as string;
    };
    const failed = await jobIn("FAILED", { simulateFailure: true, failAtStep: 2 });
    const completed = await jobIn("COMPLETED", {});
    const aRun = ((await api(`/api/jobs/${failed}`)) as { runId: string }).runId;
    const pages = [
      "/",
      "/jobs",
      "/jobs/new",
      `/jobs/${failed}`,
      `/jobs/${completed}`,
      "/runs",
      `/runs/${aRun}`,
      "/logs?q=working",
      "/events",
      "/functions",
      "/mailbox",
    ];
    const problems: string[] = [];
    for (const path of pages) {
      await page.goto(`${stack.baseUrl}${path}`);
      await page.locator("main h1").first().waitFor();
      await expect.poll(() => page.locator('[aria-busy="true"]').count(), { timeout: 15_000 }).toBe(0);
      await page.addScriptTag({ content: axe.source });
      const violations = await page.evaluate(async () => {
        const result = await (window as unknown as { axe: typeof axe }).axe.run(document, {
          runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
        });
        return result.violations.map(
          (v) =>
            `${v.id} (${v.impact}): ${v.nodes
              .map((n) => n.target.join(" "))
              .slice(0, 3)
              .join(" | ")}`,
        );
      });
      problems.push(...violations.map((v) => `${path} ${v}`));
      problems.push(...(await keyboardProblems(page)).map((p) => `${path} ${p}`));
    }
    await shot("accessibility-audit-last-page");
    expect(problems).toEqual([]);
  }, 120_000);

  const eventKey = () => (JSON.parse(readFileSync(`${dataDir}.keys.json`, "utf8")) as { eventKey: string }).eventKey;
  const jobOf = async (id: string) =>
    (await api(`/api/jobs/${id}`)) as { status: string; runId: string; steps: Array<{ name: string; runId: string }> };

  it("shows a step's logger.info line under its step, finds it from /logs, and shows the job's start event", async () => {
    const { id } = await api("/api/jobs", { type: "demo-task", payload: { taskId: "logs-under-step" } });
    await page.goto(`${stack.baseUrl}/jobs/${id}`);
    await page.locator('.status[data-status="COMPLETED"]').first().waitFor({ timeout: 30_000 });
    const line = page.locator('li.step[data-step="step-3-process"] .logs li');
    await line.filter({ hasText: "step-3-process: working on task logs-under-step" }).waitFor({ timeout: 15_000 });
    expect(await line.count()).toBe(1);
    // The start event: name, id, time and data.
    expect(await page.getByTestId("start-event-name").textContent()).toBe("demo/task.requested");
    expect(await page.getByTestId("start-event-id").textContent()).toMatch(new RegExp(id));
    expect(await page.getByRole("region", { name: "Start event" }).textContent()).toContain('"taskId": "logs-under-step"');
    await shot("job-logs-and-start-event");

    await page.goto(`${stack.baseUrl}/logs`);
    await page.getByLabel("Search", { exact: true }).fill("level:info logs-under-step");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await page.waitForURL(/\/logs\?q=level%3Ainfo/);
    const rows = page.locator("tbody tr[data-log-id]");
    // The unfiltered page shows first; the search's answer replaces it.
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(5);
    expect(await rows.allInnerTexts()).toSatisfy((texts: string[]) => texts.every((t) => t.includes("logs-under-step")));
    await shot("logs-search");
    // Each line links to its run.
    await rows.filter({ hasText: "step-3-process" }).getByRole("link").first().click();
    await page.waitForURL(/\/runs\/[0-9A-Z]{26}$/);
    await page.getByRole("list", { name: "Trace" }).waitFor();
  }, 60_000);

  it("finds a cron run and a raw-event run in /runs with their traces", async () => {
    // A script sends an event straight to Inngest (no job): the demo task runs as a plain run.
    const sent = await fetch(`${stack.engineUrl}/e/${eventKey()}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "demo/task.requested", data: { taskId: "raw-event-run", force: true } }),
    });
    expect(sent.status).toBe(200);
    await page.goto(`${stack.baseUrl}/runs?q=raw-event-run`);
    const raw = page.locator("tbody tr[data-run-id]");
    await raw.locator('[data-run-status="Completed"]').first().waitFor({ timeout: 30_000 });
    expect(await raw.count()).toBe(1);
    expect(await raw.first().textContent()).toContain("jobdeck-demo-task");
    await shot("runs-raw-event");
    await raw.first().getByRole("link").first().click();
    await page.waitForURL(/\/runs\/[0-9A-Z]{26}$/);
    await expect.poll(() => page.locator('ol[aria-label="Trace"] li[data-trace-kind="step"]').count(), { timeout: 10_000 }).toBe(5);
    expect(await page.locator("main").textContent()).toContain('"taskId": "raw-event-run"');
    await shot("run-trace-raw-event");

    // The minute's cron: the queue statistics snapshot, a function no job stands behind.
    await page.goto(`${stack.baseUrl}/runs?function=jobdeck-snapshot-queue-stats`);
    const cron = page.locator("tbody tr[data-run-id]");
    await cron.locator('[data-run-status="Completed"]').first().waitFor({ timeout: 75_000 });
    expect(await page.getByLabel("Function").inputValue()).toBe("jobdeck-snapshot-queue-stats");
    await page.reload(); // the filter survives a reload: it is in the URL
    await cron.first().waitFor();
    expect(await cron.first().textContent()).toContain("inngest/scheduled.timer");
    await cron.first().getByRole("link").first().click();
    await page.locator('ol[aria-label="Trace"] li').first().waitFor();
    await shot("run-trace-cron");
  }, 120_000);

  it("replays a failed job with an edited payload, refusing one its schema rejects, and the replay completes", async () => {
    const { id } = await api("/api/jobs", { type: "demo-task", payload: { taskId: "replay-me", simulateFailure: true, failAtStep: 2 } });
    await expect.poll(async () => (await jobOf(id)).status, { timeout: 30_000 }).toBe("FAILED");
    await page.goto(`${stack.baseUrl}/jobs/${id}`);
    // Name and message first, stack frames as lines.
    await page.getByTestId("error-message").filter({ hasText: "simulated failure at step 2" }).first().waitFor();
    expect(await page.getByTestId("error-name").first().textContent()).toBe("Error");
    // The same error on every try of step 2 is shown once, with the tries it happened on; its frames are the source.
    expect(await page.getByTestId("error-name").count()).toBe(1);
    expect(await page.getByTestId("error-seen-on").textContent()).toMatch(/^Happened 4 times: step-2-validate \(try 1\), .*\(try 4\)$/);
    expect(await page.getByTestId("same-error").count()).toBe(4);
    expect(await page.locator(".app-frame").first().textContent()).toMatch(/inngest\/jobs\/demo-task\.ts:\d+:\d+/);
    await shot("job-error-once");
    await page.getByRole("button", { name: "Replay with edited payload" }).click();
    const box = page.getByLabel(/Payload \(JSON/);
    await box.fill('{"taskId": "edited-replay", "delayMs": "soon"}');
    await page.getByRole("button", { name: "Replay as a new job" }).click();
    await page.locator(".error").filter({ hasText: "delayMs" }).waitFor();
    await shot("replay-edited-invalid");
    await box.fill('{"taskId": "edited-replay"}');
    await page.getByRole("button", { name: "Replay as a new job" }).click();
    await page.getByRole("status").filter({ hasText: "Replayed as job" }).waitFor();
    await page.getByRole("link", { name: "Open it" }).click();
    await page.waitForURL((u) => /\/jobs\/[0-9a-f-]{36}$/.test(u.pathname) && !u.pathname.endsWith(id));
    await page.locator('.status[data-status="COMPLETED"]').first().waitFor({ timeout: 30_000 });
    expect(await page.locator("main").textContent()).toContain(`Replay of job ${id.slice(0, 8)}`);
    await shot("replay-edited-completed");
  }, 90_000);

  it("reruns a failed demo task from step 3: steps 1-2 are not executed again, step 3 onward is", async () => {
    const failUntil = new Date(Date.now() + 6_000).toISOString();
    const { id } = await api("/api/jobs", {
      type: "demo-task",
      payload: { taskId: "rerun-from-3", simulateFailure: true, failAtStep: 3, failUntil },
    });
    await expect.poll(async () => (await jobOf(id)).status, { timeout: 30_000 }).toBe("FAILED");
    const count = (steps: Array<{ name: string }>, name: string) => steps.filter((s) => s.name === name).length;
    const before = (await jobOf(id)).steps;
    expect([count(before, "step-1-initialize"), count(before, "step-2-validate")]).toEqual([1, 1]);
    const step3Before = count(before, "step-3-process");
    await page.goto(`${stack.baseUrl}/jobs/${id}`);
    await page.getByRole("form", { name: "Rerun from a step" }).waitFor();
    while (Date.now() < Date.parse(failUntil)) await new Promise((r) => setTimeout(r, 250));
    await page.getByRole("form", { name: "Rerun from a step" }).locator("select").selectOption("step-3-process");
    await page.getByRole("button", { name: "Rerun", exact: true }).click();
    await page.locator('.status[data-status="COMPLETED"]').first().waitFor({ timeout: 30_000 });
    const after = await jobOf(id);
    expect([count(after.steps, "step-1-initialize"), count(after.steps, "step-2-validate")]).toEqual([1, 1]);
    expect(count(after.steps, "step-3-process")).toBe(step3Before + 1);
    expect(after.steps.filter((s) => s.runId === after.runId).map((s) => s.name)).toEqual([
      "step-3-process",
      "step-4-persist",
      "step-5-finalize",
    ]);
    await shot("rerun-from-step-3");
  }, 90_000);

  it("shows a predicted start for a job behind a full concurrency key", async () => {
    // demo-task runs at most 10 at once: ten that hold their slot for 8 s, then one more that must wait.
    for (let i = 0; i < 10; i++) await api("/api/jobs", { type: "demo-task", payload: { taskId: `hold-${i}`, delayMs: 8000 } });
    const { id } = await api("/api/jobs", { type: "demo-task", payload: { taskId: "predicted" } });
    await page.goto(`${stack.baseUrl}/jobs/${id}`);
    const predicted = page.getByTestId("predicted-start");
    await predicted.filter({ hasText: /starts/ }).waitFor({ timeout: 20_000 });
    await shot("predicted-start");
    await page.locator('.status[data-status="COMPLETED"]').first().waitFor({ timeout: 60_000 });
  }, 90_000);

  it("ran every page above under its Content-Security-Policy with nothing refused", async () => {
    await page.goto(`${stack.baseUrl}/`);
    await page.getByRole("heading", { name: "Overview" }).waitFor();
    expect(cspViolations()).toEqual([]);
    // The app's icon is served, so no page asked for a favicon that is not there.
    expect(await page.locator('link[rel="icon"]').count()).toBeGreaterThan(0);
    expect(missing).toEqual([]);
  });
});

/**
 * Tabs through the page once, round to where it started: every visible control must be reached, and each must
 * show a focus ring (an outline or a box shadow) when it has focus from the keyboard.
 */
async function keyboardProblems(page: Page): Promise<string[]> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  const controls = await page.evaluate(() => {
    const selector =
      'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea, summary, [tabindex]:not([tabindex="-1"])';
    const visible = [...document.querySelectorAll<HTMLElement>(selector)].filter((el) => el.checkVisibility()); // not inside a closed <details>
    for (const [i, el] of visible.entries()) el.setAttribute("data-kbd-audit", String(i));
    return visible.length;
  });
  const reached = new Set<string>();
  const problems: string[] = [];
  for (let i = 0; i < controls + 5; i++) {
    await page.keyboard.press("Tab");
    const focus = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return null;
      const style = getComputedStyle(el);
      const ring = (style.outlineStyle !== "none" && Number.parseFloat(style.outlineWidth) > 0) || style.boxShadow !== "none";
      const label = `${el.tagName.toLowerCase()} "${(el.getAttribute("aria-label") ?? el.textContent ?? "").trim().slice(0, 40)}"`;
      return { id: el.getAttribute("data-kbd-audit"), ring, label };
    });
    if (!focus) break;
    if (focus.id !== null && reached.has(focus.id)) break;
    if (focus.id !== null) reached.add(focus.id);
    if (!focus.ring) problems.push(`no visible focus on ${focus.label}`);
  }
  if (reached.size < controls) {
    const missed = await page.evaluate(
      (seen) =>
        [...document.querySelectorAll<HTMLElement>("[data-kbd-audit]")]
          .filter((el) => !seen.includes(el.getAttribute("data-kbd-audit") ?? ""))
          .map((el) => `${el.tagName.toLowerCase()} "${(el.getAttribute("aria-label") ?? el.textContent ?? "").trim().slice(0, 40)}"`),
      [...reached],
    );
    problems.push(`not reachable with Tab: ${missed.slice(0, 5).join(", ")}`);
  }
  return problems;
}
