import { describe, expect, it } from "vitest";
import { chromiumMissing } from "../support/browser.js";
import { consoleSession } from "../support/console-session.js";

/**
 * The Inngest Dev Server's habits in a real browser against `npm start` (the local identity is the operator):
 * schedules with their next times and "run now", the synced app and a resync, an event's own page, the events
 * form's trigger suggestions and its way to a prefilled New job, a reused key's existing job, and the runs list
 * without system functions unless asked.
 */
describe.skipIf(chromiumMissing)("console in a browser: the Dev Server's habits", () => {
  const s = consoleSession("jobdeck-ui-habits-");

  it("lists schedules with their next times, runs one now, and shows its last run", async () => {
    await s.page.goto(`${s.stack.baseUrl}/schedules`);
    const row = s.page.locator('tr[data-schedule="jobdeck-snapshot-queue-stats"]');
    await row.getByTestId("next-runs").locator("li").nth(2).waitFor();
    expect(await row.textContent()).toContain("* * * * *");
    await s.page.getByRole("button", { name: "Run now jobdeck-snapshot-queue-stats" }).click();
    await s.page.getByRole("status").filter({ hasText: "jobdeck-snapshot-queue-stats started now" }).waitFor();
    await row.getByTestId("last-run").filter({ hasText: "completed" }).waitFor({ timeout: 30_000 });
    await s.shot("schedules");
  }, 60_000);

  it("invokes a job type's function with a payload from the Functions page: it runs as a job", async () => {
    await s.page.goto(`${s.stack.baseUrl}/functions`);
    await s.page.getByRole("button", { name: /^Invoke jobdeck-demo-task/ }).click();
    const form = s.page.getByRole("form", { name: "Invoke jobdeck-demo-task" });
    // Prefilled with the job type's example, checked as a create is.
    expect(JSON.parse(await form.getByLabel("Data (JSON)").inputValue())).toMatchObject({ taskId: "example-task" });
    await form.getByLabel("Data (JSON)").fill('{"taskId": "invoked-from-ui", "jobId": "x"}');
    await form.getByRole("button", { name: "Invoke" }).click();
    await form.locator(".error").filter({ hasText: "jobId: unknown field" }).waitFor();
    await form.getByLabel("Data (JSON)").fill('{"taskId": "invoked-from-ui"}');
    await form.getByRole("button", { name: "Invoke" }).click();
    await form.getByRole("status").filter({ hasText: "Started as job" }).waitFor();
    await s.shot("function-invoke");
    await form.getByRole("link", { name: "Open the job" }).click();
    await s.page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/);
    await s.page.locator('[data-status="COMPLETED"]').first().waitFor({ timeout: 30_000 });
  }, 60_000);

  it("shows the synced app with its functions and resyncs it", async () => {
    await s.page.goto(`${s.stack.baseUrl}/apps`);
    const app = s.page.locator('tr[data-app="jobdeck"]');
    await app.getByTestId("app-url").waitFor();
    expect(await app.getByTestId("function-count").textContent()).toMatch(/^\d+ functions$/);
    await s.page.getByRole("button", { name: "Resync apps" }).click();
    await s.page.getByRole("status").filter({ hasText: "Synced 1 app." }).waitFor({ timeout: 30_000 });
    await s.shot("apps");
  }, 60_000);

  it("explains a job's start event in the events form and opens New job prefilled; a reused key says it returned the existing job", async () => {
    await s.page.goto(`${s.stack.baseUrl}/events`);
    // The name field suggests every trigger.
    const suggestions = () =>
      s.page.locator("datalist#event-triggers option").evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    await expect.poll(suggestions, { timeout: 15_000 }).toContain("demo/task.requested");
    await s.page.getByLabel("Event name").fill("demo/task.requested");
    await s.page.getByTestId("event-meaning").filter({ hasText: "only the job service sends it" }).waitFor();
    await s.page.getByRole("button", { name: "Use an example" }).click();
    expect(JSON.parse(await s.page.getByLabel("Data (JSON)").inputValue())).toMatchObject({ taskId: "example-task" });
    await s.page.getByLabel("Data (JSON)").fill('{"taskId": "from-events-form", "delayMs": 10}');
    await s.shot("events-form-job-event");
    await s.page.getByTestId("create-instead").click();
    await s.page.waitForURL(/\/jobs\/new\?/);
    expect(await s.page.getByLabel("taskId").inputValue()).toBe("from-events-form");
    expect(await s.page.getByLabel(/delayMs/).inputValue()).toBe("10");
    await s.page.getByLabel(/Idempotency key/).fill("habits-key");
    await s.page.getByLabel(/Tags/).fill("from-form, customer:acme");
    await s.page.getByRole("button", { name: "Create job" }).click();
    await s.page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/);
    const firstId = s.page.url().split("/").at(-1) as string;
    expect(await s.page.getByTestId("idempotency-key").textContent()).toBe("habits-key");
    expect(await s.page.getByTestId("job-tags").textContent()).toBe("#from-form#customer:acme");
    // A tag leads to the jobs carrying it: the filter is in the URL, and the row shows its key and tags.
    await s.page.getByTestId("job-tags").getByRole("link", { name: "#customer:acme" }).click();
    await s.page.waitForURL(/\/jobs\?tag=customer%3Aacme$/);
    await expect.poll(() => s.page.locator("tbody tr[data-job-id]").count(), { timeout: 15_000 }).toBe(1);
    expect(await s.page.getByLabel("Tag", { exact: true }).inputValue()).toBe("customer:acme");
    expect(await s.page.locator(`tr[data-job-id="${firstId}"] [data-testid="job-key"]`).textContent()).toBe("key habits-key");
    await s.shot("jobs-by-tag");
    await s.page.goto(`${s.stack.baseUrl}/jobs/${firstId}`);
    expect(await s.page.getByTestId("existing-job").count()).toBe(0);
    // The same key again: the existing job, said so.
    await s.page.goto(`${s.stack.baseUrl}/jobs/new?type=demo-task`);
    await s.page.getByLabel(/Idempotency key/).fill("habits-key");
    await s.page.getByRole("button", { name: "Create job" }).click();
    await s.page.getByTestId("existing-job").filter({ hasText: "An existing job with key habits-key was returned" }).waitFor();
    expect(s.page.url()).toContain(`/jobs/${firstId}?`);
    await s.shot("job-existing-key");
  }, 60_000);

  it("opens an event's page with its full data and the runs it started; filters events by name", async () => {
    await s.page.goto(`${s.stack.baseUrl}/events?name=demo%2Ftask.requested`);
    const rows = s.page.locator("tbody tr[data-event-id]");
    await rows.first().waitFor({ timeout: 30_000 });
    expect(await s.page.getByLabel("Name", { exact: true }).inputValue()).toBe("demo/task.requested");
    for (const text of await rows.locator("td:nth-child(2)").allTextContents()) expect(text).toBe("demo/task.requested");
    await rows.first().getByRole("link").first().click();
    await s.page.waitForURL(/\/events\/[^/]+$/);
    await s.page.getByTestId("event-functions").filter({ hasText: "jobdeck-demo-task" }).waitFor({ timeout: 30_000 });
    expect(await s.page.getByTestId("event-data").textContent()).toContain('"taskId"');
    await s.shot("event-page");
  }, 60_000);

  it("hides system functions' runs until asked, keeping job runs on page 1", async () => {
    const { id } = await s.api("/api/jobs", { type: "demo-task", payload: {} });
    await expect.poll(async () => (await s.api(`/api/jobs/${id}`)).status, { timeout: 30_000 }).toBe("COMPLETED");
    await s.page.goto(`${s.stack.baseUrl}/runs`);
    await s.page.locator("tbody tr[data-run-id]").first().waitFor({ timeout: 30_000 });
    const fns = async () => s.page.locator("tbody tr[data-run-id] td[data-label='Function']").allTextContents();
    expect((await fns()).some((f) => f === "jobdeck-snapshot-queue-stats")).toBe(false);
    // The box follows the URL (it is a filter), so it reads checked once the URL says so.
    await s.page.getByLabel("System runs").click();
    // The minute's crons (or the schedule run now above) are system runs.
    await expect
      .poll(async () => (await fns()).some((f) => /snapshot-queue-stats|relay-outbox|evaluate-alerts/.test(f)), { timeout: 75_000 })
      .toBe(true);
    expect(s.page.url()).toContain("system=1");
    await s.shot("runs-with-system");
    // Runs picked by checkbox: a failed one replays, a completed one is skipped with its reason.
    const { id: failing } = await s.api("/api/jobs", { type: "demo-task", payload: { simulateFailure: true, failAtStep: 1 } });
    await expect.poll(async () => (await s.api(`/api/jobs/${failing}`)).status, { timeout: 60_000 }).toBe("FAILED");
    await s.page.goto(`${s.stack.baseUrl}/runs?q=${failing}`);
    const failedRow = s.page.locator('tbody tr[data-run-id]:has([data-run-status="Failed"])').first();
    await failedRow.waitFor({ timeout: 30_000 });
    await failedRow.getByRole("checkbox").check();
    await s.page.getByRole("button", { name: "Replay 1 selected…" }).click();
    await s.page.getByText("Replay 1 of the 1 selected run?").waitFor();
    await s.page.getByRole("button", { name: "Replay 1 run" }).click();
    await s.page.getByText("Replayed 1 of 1 failed run").waitFor({ timeout: 30_000 });
    await s.shot("runs-replay-selected");
  }, 180_000);

  it("follows changes over one server-sent event stream, and keeps the page under a notice while the server is away", async () => {
    const versionPolls: string[] = [];
    const onRequest = (r: { url(): string }) => {
      if (r.url().includes("job.version")) versionPolls.push(r.url());
    };
    s.page.on("request", onRequest);
    try {
      await s.page.goto(`${s.stack.baseUrl}/jobs`);
      const mode = s.page.getByTestId("live-mode");
      await expect.poll(() => mode.getAttribute("data-live-mode"), { timeout: 15_000 }).toBe("stream");
      // (The counter is polled only until the stream is open.)
      await new Promise((r) => setTimeout(r, 2_000));
      versionPolls.length = 0;
      // A job made elsewhere appears without a reload and without polling: the stream said the counter moved.
      const { id } = await s.api("/api/jobs", { type: "demo-task", payload: { taskId: "seen-live", delayMs: 15_000 } });
      await s.page.locator(`tr[data-job-id="${id}"]`).waitFor({ timeout: 15_000 });
      expect(versionPolls).toEqual([]);
      // The job's page, then the server goes away: the job stays on the page under the notice.
      await s.page.goto(`${s.stack.baseUrl}/jobs/${id}`);
      await s.page.getByRole("heading", { name: /demo-task/ }).waitFor();
      await expect.poll(() => mode.getAttribute("data-live-mode"), { timeout: 15_000 }).toBe("stream");
      // Next.js dies (the launcher brings it back): the job stays on the page under the notice meanwhile.
      const health = await s.api("/api/health");
      const nextPid = (health.processes as Array<{ name: string; pid: number }>).find((p) => p.name === "next")?.pid as number;
      process.kill(nextPid, "SIGKILL");
      await s.page.getByRole("status").filter({ hasText: "Disconnected from the server, retrying" }).waitFor({ timeout: 10_000 });
      expect(await s.page.getByRole("heading", { name: /demo-task/ }).isVisible()).toBe(true);
      expect(await s.page.getByRole("alert").filter({ hasText: "Could not load the job" }).count()).toBe(0);
      await s.shot("disconnected-notice");
      await expect.poll(() => mode.getAttribute("data-live-mode"), { timeout: 60_000 }).toBe("stream");
      expect(await s.page.getByText("Disconnected from the server").count()).toBe(0);
      // Live again: the job page follows the job to its end.
      await s.page.locator("h1 ~ [data-status=COMPLETED], [data-status=COMPLETED]").first().waitFor({ timeout: 30_000 });
    } finally {
      s.page.off("request", onRequest);
    }
  }, 120_000);
});
