import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { chromiumMissing } from "../support/browser.js";
import { consoleSession } from "../support/console-session.js";

/**
 * The console's observability pages in a real browser against `npm start`: step logs and /logs, the runs explorer
 * and run traces, replay with an edited payload, rerun from a step, the predicted start. Screenshots go to
 * .test-artifacts/screenshots.
 */
describe.skipIf(chromiumMissing)("console in a browser: logs, runs, replays", () => {
  const s = consoleSession("jobdeck-ui-obs-");
  const eventKey = () => (JSON.parse(readFileSync(`${s.dataDir}.keys.json`, "utf8")) as { eventKey: string }).eventKey;
  const jobOf = async (id: string) =>
    (await s.api(`/api/jobs/${id}`)) as { status: string; runId: string; steps: Array<{ name: string; runId: string }> };

  it("shows a step's logger.info line under its step, finds it from /logs, and shows the job's start event", async () => {
    const { id } = await s.api("/api/jobs", { type: "demo-task", payload: { taskId: "logs-under-step" } });
    await s.page.goto(`${s.stack.baseUrl}/jobs/${id}`);
    await s.page.locator('.status[data-status="COMPLETED"]').first().waitFor({ timeout: 30_000 });
    const line = s.page.locator('li.step[data-step="step-3-process"] .logs li');
    await line.filter({ hasText: "step-3-process: working on task logs-under-step" }).waitFor({ timeout: 15_000 });
    expect(await line.count()).toBe(1);
    // The start event: name, id, time and data.
    expect(await s.page.getByTestId("start-event-name").textContent()).toBe("demo/task.requested");
    expect(await s.page.getByTestId("start-event-id").textContent()).toMatch(new RegExp(id));
    expect(await s.page.getByRole("region", { name: "Start event" }).textContent()).toContain('"taskId": "logs-under-step"');
    await s.shot("job-logs-and-start-event");

    await s.page.goto(`${s.stack.baseUrl}/logs`);
    await s.page.getByLabel("Search", { exact: true }).fill("level:info logs-under-step");
    await s.page.getByRole("button", { name: "Search", exact: true }).click();
    await s.page.waitForURL(/\/logs\?q=level%3Ainfo/);
    const rows = s.page.locator("tbody tr[data-log-id]");
    // The unfiltered page shows first; the search's answer replaces it.
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(5);
    expect(await rows.allInnerTexts()).toSatisfy((texts: string[]) => texts.every((t) => t.includes("logs-under-step")));
    await s.shot("logs-search");
    // Each line links to its run.
    await rows.filter({ hasText: "step-3-process" }).getByRole("link").first().click();
    await s.page.waitForURL(/\/runs\/[0-9A-Z]{26}$/);
    await s.page.getByRole("list", { name: "Trace" }).waitFor();
  }, 60_000);

  it("finds a cron run and a raw-event run in /runs with their traces", async () => {
    // A script sends an event straight to Inngest (no job): the demo task runs as a plain run.
    const sent = await fetch(`${s.stack.engineUrl}/e/${eventKey()}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "demo/task.requested", data: { taskId: "raw-event-run", force: true } }),
    });
    expect(sent.status).toBe(200);
    await s.page.goto(`${s.stack.baseUrl}/runs?q=raw-event-run`);
    const raw = s.page.locator("tbody tr[data-run-id]");
    await raw.locator('[data-run-status="Completed"]').first().waitFor({ timeout: 30_000 });
    expect(await raw.count()).toBe(1);
    expect(await raw.first().textContent()).toContain("jobdeck-demo-task");
    await s.shot("runs-raw-event");
    await raw.first().getByRole("link").first().click();
    await s.page.waitForURL(/\/runs\/[0-9A-Z]{26}$/);
    await expect.poll(() => s.page.locator('ol[aria-label="Trace"] li[data-trace-kind="step"]').count(), { timeout: 10_000 }).toBe(5);
    expect(await s.page.locator("main").textContent()).toContain('"taskId": "raw-event-run"');
    await s.shot("run-trace-raw-event");

    // The minute's cron: the queue statistics snapshot, a function no job stands behind.
    await s.page.goto(`${s.stack.baseUrl}/runs?function=jobdeck-snapshot-queue-stats`);
    const cron = s.page.locator("tbody tr[data-run-id]");
    await cron.locator('[data-run-status="Completed"]').first().waitFor({ timeout: 75_000 });
    expect(await s.page.getByLabel("Function").inputValue()).toBe("jobdeck-snapshot-queue-stats");
    await s.page.reload(); // the filter survives a reload: it is in the URL
    await cron.first().waitFor();
    expect(await cron.first().textContent()).toContain("inngest/scheduled.timer");
    await cron.first().getByRole("link").first().click();
    await s.page.locator('ol[aria-label="Trace"] li').first().waitFor();
    await s.shot("run-trace-cron");
  }, 120_000);

  it("replays a failed job with an edited payload, refusing one its schema rejects, and the replay completes", async () => {
    const { id } = await s.api("/api/jobs", { type: "demo-task", payload: { taskId: "replay-me", simulateFailure: true, failAtStep: 2 } });
    await expect.poll(async () => (await jobOf(id)).status, { timeout: 30_000 }).toBe("FAILED");
    await s.page.goto(`${s.stack.baseUrl}/jobs/${id}`);
    // Name and message first, stack frames as lines.
    await s.page.getByTestId("error-message").filter({ hasText: "simulated failure at step 2" }).first().waitFor();
    expect(await s.page.getByTestId("error-name").first().textContent()).toBe("Error");
    // The same error on every try of step 2 is shown once, with the tries it happened on; its frames are the source.
    expect(await s.page.getByTestId("error-name").count()).toBe(1);
    expect(await s.page.getByTestId("error-seen-on").textContent()).toMatch(/^Happened 4 times: step-2-validate \(try 1\), .*\(try 4\)$/);
    expect(await s.page.getByTestId("same-error").count()).toBe(4);
    expect(await s.page.locator(".app-frame").first().textContent()).toMatch(/inngest\/jobs\/demo-task\.ts:\d+:\d+/);
    // Each retry says how long it waited after the failure before it (the backoff).
    expect(await s.page.locator('li[data-step="step-2-validate"]').nth(2).textContent()).toMatch(/retry 2 in \d/);
    await s.shot("job-error-once");
    await s.page.getByRole("button", { name: "Replay with edited payload" }).click();
    const box = s.page.getByLabel(/Payload \(JSON/);
    await box.fill('{"taskId": "edited-replay", "delayMs": "soon"}');
    await s.page.getByRole("button", { name: "Replay as a new job" }).click();
    await s.page.locator(".error").filter({ hasText: "delayMs" }).waitFor();
    await s.shot("replay-edited-invalid");
    await box.fill('{"taskId": "edited-replay"}');
    await s.page.getByRole("button", { name: "Replay as a new job" }).click();
    await s.page.getByRole("status").filter({ hasText: "Replayed as job" }).waitFor();
    await s.page.getByRole("link", { name: "Open it" }).click();
    await s.page.waitForURL((u) => /\/jobs\/[0-9a-f-]{36}$/.test(u.pathname) && !u.pathname.endsWith(id));
    await s.page.locator('.status[data-status="COMPLETED"]').first().waitFor({ timeout: 30_000 });
    expect(await s.page.locator("main").textContent()).toContain(`Replay of job ${id.slice(0, 8)}`);
    await s.shot("replay-edited-completed");
  }, 90_000);

  it("reruns a failed demo task from step 3: steps 1-2 are not executed again, step 3 onward is", async () => {
    const failUntil = new Date(Date.now() + 6_000).toISOString();
    const { id } = await s.api("/api/jobs", {
      type: "demo-task",
      payload: { taskId: "rerun-from-3", simulateFailure: true, failAtStep: 3, failUntil },
    });
    await expect.poll(async () => (await jobOf(id)).status, { timeout: 30_000 }).toBe("FAILED");
    const count = (steps: Array<{ name: string }>, name: string) => steps.filter((step) => step.name === name).length;
    const before = (await jobOf(id)).steps;
    expect([count(before, "step-1-initialize"), count(before, "step-2-validate")]).toEqual([1, 1]);
    const step3Before = count(before, "step-3-process");
    await s.page.goto(`${s.stack.baseUrl}/jobs/${id}`);
    await s.page.getByRole("form", { name: "Rerun from a step" }).waitFor();
    while (Date.now() < Date.parse(failUntil)) await new Promise((r) => setTimeout(r, 250));
    await s.page.getByRole("form", { name: "Rerun from a step" }).locator("select").selectOption("step-3-process");
    await s.page.getByRole("button", { name: "Rerun", exact: true }).click();
    await s.page.locator('.status[data-status="COMPLETED"]').first().waitFor({ timeout: 30_000 });
    const after = await jobOf(id);
    expect([count(after.steps, "step-1-initialize"), count(after.steps, "step-2-validate")]).toEqual([1, 1]);
    expect(count(after.steps, "step-3-process")).toBe(step3Before + 1);
    expect(after.steps.filter((step) => step.runId === after.runId).map((step) => step.name)).toEqual([
      "step-3-process",
      "step-4-persist",
      "step-5-finalize",
    ]);
    await s.shot("rerun-from-step-3");
  }, 90_000);

  it("shows a predicted start for a job behind a full concurrency key", async () => {
    // demo-task runs at most 10 at once: ten that hold their slot for 8 s, then one more that must wait.
    for (let i = 0; i < 10; i++) await s.api("/api/jobs", { type: "demo-task", payload: { taskId: `hold-${i}`, delayMs: 8000 } });
    const { id } = await s.api("/api/jobs", { type: "demo-task", payload: { taskId: "predicted" } });
    await s.page.goto(`${s.stack.baseUrl}/jobs/${id}`);
    const predicted = s.page.getByTestId("predicted-start");
    await predicted.filter({ hasText: /starts/ }).waitFor({ timeout: 20_000 });
    await s.shot("predicted-start");
    await s.page.locator('.status[data-status="COMPLETED"]').first().waitFor({ timeout: 60_000 });
  }, 90_000);

  it("ran every page above under its Content-Security-Policy, with no asset missing", async () => {
    expect(s.cspViolations()).toEqual([]);
    expect(s.missing).toEqual([]);
  });
});
