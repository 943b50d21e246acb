import { InngestTestEngine } from "@inngest/test";
import { describe, expect, it } from "vitest";
import {
  periodicReportCron,
  pruneOldJobsCron,
  recoverStalledJobsCron,
  snapshotQueueStatsCron,
} from "../../inngest/functions/maintenance.js";
import { relayOutboxCron } from "../../inngest/functions/relay-outbox.js";
import { trackCancellations, trackFailures } from "../../inngest/functions/system.js";
import { approvalWorkflowFunction as approvalWorkflow } from "../../inngest/jobs/approval-workflow.js";
import { deliverWebhookFunction as deliverWebhook } from "../../inngest/jobs/deliver-webhook.js";
import { demoTaskFunction as demoTask } from "../../inngest/jobs/demo-task.js";
import { generateContentFunction as generateContent } from "../../inngest/jobs/generate-content.js";
import { processWithCreditsFunction as processWithCredits } from "../../inngest/jobs/process-with-credits.js";
import { renderReportFunction as renderReport } from "../../inngest/jobs/render-report.js";
import { sendWelcomeEmailFunction as sendWelcomeEmail } from "../../inngest/jobs/send-welcome-email.js";
import { syncAnalyticsFunction as syncAnalytics } from "../../inngest/jobs/sync-analytics.js";

/**
 * Each function's own logic with @inngest/test: steps that touch the database are replaced by their recorded
 * outputs, everything else (rendering, branching, HTTP to a real peer) runs for real. Events carry no jobId, so
 * the job-tracking middleware stays out of the way.
 */
// env() needs a valid DATABASE_URL to parse; nothing here connects to it.
process.env.DATABASE_URL ??= "postgres://postgres@127.0.0.1:5432/unused";

const ev = (name: string, data: Record<string, unknown>) => [{ name, data, id: "evt-1", ts: Date.now() }];

describe("demo-task", () => {
  const t = new InngestTestEngine({ function: demoTask.fn });
  it("runs five steps and returns them", async () => {
    const { result } = await t.execute({ events: ev("demo/task.requested", { taskId: "t1" }) as never });
    expect(result).toMatchObject({ taskId: "t1", steps: 5 });
    expect(Object.keys((result as { results: object }).results)).toEqual([
      "step-1-initialize",
      "step-2-validate",
      "step-3-process",
      "step-4-persist",
      "step-5-finalize",
    ]);
  });
  it("sleeps durably before step 3 when sleepFor is given", async () => {
    const { step } = await new InngestTestEngine({ function: demoTask.fn }).executeStep("sleep-before-step-3", {
      events: ev("demo/task.requested", { taskId: "t3", sleepFor: "1h" }) as never,
    });
    expect(step).toMatchObject({ op: "Sleep", name: "1h", displayName: "sleep-before-step-3" });
  });
  it("throws at the chosen step", async () => {
    const { error } = await t.execute({
      events: ev("demo/task.requested", { taskId: "t2", simulateFailure: true, failAtStep: 2 }) as never,
    });
    expect(String((error as Error)?.message ?? error)).toContain("simulated failure at step 2");
  });
  it("refuses a raw start event its payload schema refuses, by field, without retrying", async () => {
    // The start event's schema is derived from the payload's: a sender going round the job service gets the same
    // limits a job creation does.
    const { error } = await t.execute({ events: ev("demo/task.requested", { taskId: "t4", delayMs: 99_999 }) as never });
    expect(error).toMatchObject({ name: "EventValidationError" });
    expect(String((error as Error).message)).toMatch(/delayMs/);
  });
});

describe("send-welcome-email", () => {
  const t = () => new InngestTestEngine({ function: sendWelcomeEmail.fn });
  const events = () => ev("email/welcome.requested", { email: "a@b.co", name: "Al", message: "" }) as never;
  it("reports an earlier, unfinished send as unknown instead of sending again", async () => {
    const { result } = await t().execute({
      events: events(),
      steps: [{ id: "send", handler: () => ({ status: "unknown", reservedAt: "then" }) }],
    });
    expect(result).toEqual({ sent: "unknown, not resent", to: "a@b.co", reservedAt: "then" });
  });
  it("renders a default body and reports a completed send", async () => {
    const { result, ctx } = await t().execute({
      events: events(),
      steps: [{ id: "send", handler: () => ({ status: "done", detail: { transport: "mailbox", messageId: "m1" } }) }],
    });
    expect(ctx.step.run).toHaveBeenCalledWith("render", expect.any(Function));
    expect(result).toMatchObject({ sent: "sent", transport: "mailbox", messageId: "m1" });
  });
});

describe("deliver-webhook", () => {
  // Deliveries themselves (signed with the organization's secret, which lives in the database) run through the real
  // engine in tests/integration/catalogue.test.ts and tests/security/webhook-signatures.test.ts.
  const t = new InngestTestEngine({ function: deliverWebhook.fn });
  it("refuses, without retrying, a delivery that names no organization: there is no secret to sign it with", async () => {
    const { error } = await t.execute({
      events: ev("webhook/delivery.requested", { url: "https://hooks.example/x", host: "hooks.example", body: { a: 1 } }) as never,
    });
    expect(error).toMatchObject({ name: "NonRetriableError", message: expect.stringContaining("names no organization") });
  });
});

describe("approval-workflow", () => {
  const t = () => new InngestTestEngine({ function: approvalWorkflow.fn });
  const events = () => ev("approval/requested", { title: "Buy" }) as never;
  // The decision branches run through the real engine in tests/integration/catalogue.test.ts; @inngest/test 1.0
  // hands a mocked waitForEvent result to the SDK's event validation in a shape it rejects.
  it("prepares, then waits for the decision event matched on the job id and organization, 24 h by default", async () => {
    const { ctx } = await t().executeStep("wait-for-decision", { events: events() });
    expect(ctx.step.waitForEvent).toHaveBeenCalledWith(
      "wait-for-decision",
      expect.objectContaining({ if: "event.data.jobId == async.data.jobId && event.data.orgId == async.data.orgId", timeout: "24h" }),
    );
  });
  it("uses the job's own timeout", async () => {
    const { ctx } = await t().executeStep("wait-for-decision", {
      events: ev("approval/requested", { title: "Buy", timeout: "15m" }) as never,
    });
    expect(ctx.step.waitForEvent).toHaveBeenCalledWith("wait-for-decision", expect.objectContaining({ timeout: "15m" }));
  });
});

describe("process-with-credits", () => {
  it("ends as 'no credits' without calling anything when the balance is empty", async () => {
    const t = new InngestTestEngine({ function: processWithCredits.fn });
    const { result, ctx } = await t.execute({
      events: ev("credits/process.requested", { userId: "u1", orgId: "o1", url: "https://example.com/never" }) as never,
      steps: [{ id: "check-credits", handler: () => 0 }],
    });
    expect(result).toEqual({ status: "no credits", balance: 0 });
    expect(ctx.step.fetch).not.toHaveBeenCalled();
  });
});

describe("generate-content", () => {
  it("fills the template and lists variables it did not have", async () => {
    const t = new InngestTestEngine({ function: generateContent.fn });
    const { result } = await t.execute({
      events: ev("content/generate.requested", { title: "T", template: "Hi {{who}} from {{ where }}", variables: { who: "Al" } }) as never,
      steps: [{ id: "store", handler: () => ({ documentId: "d1", characters: 0 }) }],
    });
    expect(result).toEqual({ documentId: "d1", characters: 0, missingVariables: ["where"] });
  });
});

describe("maintenance and system functions", () => {
  it("recover-stalled-jobs returns what it failed, what it sent again, and whether the plans' weights went out", async () => {
    const t = new InngestTestEngine({ function: recoverStalledJobsCron });
    const stalled = [{ jobId: "j1", runId: "r1", runStatus: "gone" }];
    const redelivered = [{ jobId: "j2", eventId: "e2" }];
    const { result } = await t.execute({
      steps: [
        { id: "recover", handler: () => stalled },
        { id: "redeliver-unstarted", handler: () => redelivered },
        { id: "sync-tenant-weights", handler: () => "sent" },
      ],
    });
    expect(result).toEqual({ stalled, redelivered, weights: "sent" });
  });
  it("prune-old-jobs keeps taking batches while there are more", async () => {
    const t = new InngestTestEngine({ function: pruneOldJobsCron });
    const { result } = await t.execute({
      steps: [
        { id: "prune-completed-0", handler: () => ({ deleted: 500, more: true }) },
        { id: "prune-completed-1", handler: () => ({ deleted: 20, more: false }) },
        { id: "prune-failed-0", handler: () => ({ deleted: 3, more: false }) },
        { id: "prune-auxiliary", handler: () => ({ outbox: 1, queueStats: 2 }) },
      ],
    });
    expect(result).toEqual({ deleted: { completed: 520, failed: 3 }, auxiliary: { outbox: 1, queueStats: 2 } });
  });
  it("track-failures reads the failed run's job and error", async () => {
    const t = new InngestTestEngine({ function: trackFailures });
    const { result } = await t.execute({
      events: ev("inngest/function.failed", {
        function_id: "jobdeck-demo-task",
        error: { name: "Error", message: "boom" },
        event: { data: { jobId: "j9", orgId: "o1" } },
      }) as never,
      steps: [{ id: "mark-job-failed", handler: () => undefined }],
    });
    expect(result).toEqual({ jobId: "j9", functionId: "jobdeck-demo-task" });
  });
});

describe("queues and the remaining schedules", () => {
  it("render-report and sync-analytics return what their step produced", async () => {
    const report = { documentId: "d", title: "Jobs of the last 7 days", jobs: 3, failed: 1 };
    const r = await new InngestTestEngine({ function: renderReport.fn }).execute({
      events: ev("report/render.requested", { orgId: "o1" }) as never,
      steps: [{ id: "render", handler: () => report }],
    });
    expect(r.result).toEqual(report);
    const s = await new InngestTestEngine({ function: syncAnalytics.fn }).execute({
      events: ev("analytics/sync.requested", { orgId: "o1", minutes: 5 }) as never,
      steps: [{ id: "aggregate", handler: () => ({ rows: 4 }) }],
    });
    expect(s.result).toEqual({ rows: 4 });
  });
  it("periodic-report makes one at-most-once report per active organization for the event's window", async () => {
    const ts = 3_600_000 * 500_000 + 1234; // an hour boundary plus a little
    const { result } = await new InngestTestEngine({ function: periodicReportCron }).execute({
      events: [{ name: "inngest/scheduled.timer", data: { cron: "0 * * * *" }, id: "t", ts }] as never,
      steps: [
        { id: "active-organizations", handler: () => ["o1", "o2"] },
        { id: "report-o1", handler: () => ({ status: "done", detail: {} }) },
        { id: "report-o2", handler: () => ({ status: "already-done", detail: {} }) },
      ],
    });
    expect(result).toMatchObject({
      window: 500_000,
      from: new Date(3_600_000 * 499_999).toISOString(),
      reports: [
        { orgId: "o1", status: "done" },
        { orgId: "o2", status: "already-done" },
      ],
    });
  });
  it("snapshot-queue-stats, relay-outbox and track-cancellations", async () => {
    const snap = await new InngestTestEngine({ function: snapshotQueueStatsCron }).execute({
      steps: [{ id: "aggregate", handler: () => ({ rows: 2 }) }],
    });
    expect(snap.result).toEqual({ rows: 2 });
    const relay = await new InngestTestEngine({ function: relayOutboxCron }).execute({
      steps: [{ id: "relay-due-events", handler: () => ({ sent: 3, failed: 0 }) }],
    });
    expect(relay.result).toEqual({ sent: 3, failed: 0 });
    const cancelled = await new InngestTestEngine({ function: trackCancellations }).execute({
      events: ev("inngest/function.cancelled", { run_id: "r1", event: { data: { jobId: "j1", orgId: "o1" } } }) as never,
      steps: [{ id: "mark-job-cancelled", handler: () => undefined }],
    });
    expect(cancelled.result).toEqual({ jobId: "j1" });
  });
});

describe("every job type's tenant key", () => {
  it("is declared: its first keyed concurrency limit is the organization (or the user, for per-user work)", async () => {
    process.env.JOBDECK_BENCH_JOB_TYPES ??= "";
    const { jobFunctions } = await import("../../inngest/jobs/index.js");
    const { benchNoopFunction } = await import("../../inngest/jobs/bench-noop.js");
    const { benchSlotFunction } = await import("../../inngest/jobs/bench-slot.js");
    for (const { contract, fn } of [...jobFunctions, benchNoopFunction, benchSlotFunction]) {
      const raw = (fn as unknown as { opts: { concurrency?: unknown } }).opts.concurrency;
      const entries = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]) as Array<{ key?: string; scope?: string }>;
      const tenant = entries.find((e) => e.key && (e.scope ?? "fn") === "fn")?.key;
      expect(["event.data.orgId", "event.data.userId"], `${contract.type}: ${JSON.stringify(entries)}`).toContain(tenant);
    }
  });
});
