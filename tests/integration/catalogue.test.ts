import { randomBytes } from "node:crypto";
import { until } from "@jobdeck/test-kit";
import { TRPCError } from "@trpc/server";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orgWebhookSecrets } from "../../server/services/webhooks/org-secret.js";
import { type AppStack, finishedJob as finished, startAppStack } from "../support/app-stack.js";
import { type HttpPeer, startHttpPeer } from "../support/peers.js";

/**
 * Every job type of the catalogue through the real engine, with real HTTP peers started here: the local
 * mailbox (no SMTP configured), signed webhooks and their failure paths, approvals, credits, the three queues,
 * and the system functions that track failures and cancellations.
 */
let stack: AppStack;
let alerts: HttpPeer;
const org = () => `org_${randomBytes(4).toString("hex")}`;

beforeAll(async () => {
  alerts = await startHttpPeer((_req, res) => res.end("ok"));
  stack = await startAppStack({ CREDITS_INITIAL: "2", ALERT_WEBHOOK_URL: `${alerts.url}/alert` });
});

afterAll(async () => {
  await stack?.stop();
  await alerts?.close();
});

type Api = ReturnType<AppStack["caller"]>;

async function engineJson(path: string, init?: RequestInit) {
  return ((await (await stack.engineApi(`${path}`, init)).json()) as { data: any }).data;
}

describe("send-welcome-email (local mailbox)", () => {
  it("requires an idempotency key, delivers once to the mailbox, and a replayed run does not send again", async () => {
    const api = stack.caller(org());
    const noKey = await api.job.create({ type: "send-welcome-email", payload: { email: "ann@example.com", name: "Ann" } }).catch((e) => e);
    expect(noKey).toBeInstanceOf(TRPCError);
    expect((noKey as TRPCError).cause).toMatchObject({ details: [{ path: "idempotencyKey" }] });
    const badEmail = await api.job
      .create({ type: "send-welcome-email", payload: { email: "nope", name: "Ann" }, idempotencyKey: "w1" })
      .catch((e) => e);
    expect((badEmail as TRPCError).cause).toMatchObject({ details: [{ path: "payload.email" }] });

    const { job } = await api.job.create({
      type: "send-welcome-email",
      payload: { email: "ann@example.com", name: "Ann <admin>", message: "Glad you're here." },
      idempotencyKey: "welcome-ann",
    });
    const done = await finished(api, job.id);
    expect(done.status).toBe("COMPLETED");
    expect(done.result).toMatchObject({ sent: "sent", transport: "mailbox", to: "ann@example.com" });
    const mailbox = await api.mailbox.list();
    expect(mailbox).toHaveLength(1);
    expect(mailbox[0]).toMatchObject({ to: "ann@example.com", subject: "Welcome, Ann <admin>!" });
    expect(mailbox[0]?.html).toContain("Ann &lt;admin&gt;");

    await engineJson(`/v1/runs/${done.runId}/replay`, { method: "POST" });
    await until("replayed run finished", async () => {
      const runs = (await engineJson("/v1/runs?function_id=jobdeck-send-welcome-email&limit=50")) as Array<{
        status: string;
        replay_of?: string;
      }>;
      return runs.some((r) => r.replay_of === done.runId && r.status === "Completed");
    });
    expect(await api.mailbox.list()).toHaveLength(1);
  });
});

describe("deliver-webhook", () => {
  let peer: HttpPeer;
  const script = new Map<string, Array<{ status: number; headers?: Record<string, string>; delayMs?: number }>>();

  beforeAll(async () => {
    peer = await startHttpPeer(async (req, res) => {
      const next = script.get(req.path)?.shift() ?? { status: 200 };
      if (next.delayMs) await new Promise((r) => setTimeout(r, next.delayMs));
      res.writeHead(next.status, { "content-type": "text/plain", ...next.headers });
      res.end(`answer ${next.status} for ${req.path}`);
    });
  });
  afterAll(() => peer?.close());

  const deliver = (api: Api, path: string, body: unknown = { hello: "world" }) =>
    api.job.create({ type: "deliver-webhook", payload: { url: `${peer.url}${path}`, body } });

  it("signs the body with the organization's secret, and completes after one retry when a 500 is followed by a 200", async () => {
    const orgId = org();
    const api = stack.caller(orgId);
    script.set("/flaky", [{ status: 500 }, { status: 200 }]);
    const { job } = await deliver(api, "/flaky", { order: 7 });
    const done = await finished(api, job.id);
    expect(done.status).toBe("COMPLETED");
    expect(done.result).toMatchObject({ status: 200, attempt: 2, body: "answer 200 for /flaky" });
    expect((done.result as { latencyMs: number }).latencyMs).toBeGreaterThanOrEqual(0);
    const hits = peer.requests.filter((r) => r.path === "/flaky");
    expect(hits).toHaveLength(2);
    // Verified as a receiver does, with the standardwebhooks library and this organization's secret.
    const { current } = await orgWebhookSecrets(orgId);
    expect(current).toMatch(/^whsec_/);
    for (const hit of hits) expect(new Webhook(current).verify(hit.body, hit.headers as Record<string, string>)).toEqual({ order: 7 });
    // One delivery, one webhook-id, whatever the retries: a receiver can drop a repeat.
    expect(new Set(hits.map((h) => h.headers["webhook-id"]))).toEqual(new Set([`msg_${job.id}`]));
    expect(hits[1]?.headers["x-jobdeck-signature"]).toBeUndefined();
  });

  it("gives up at once on a 404, without retrying", async () => {
    const api = stack.caller(org());
    script.set("/gone", [{ status: 404 }]);
    const { job } = await deliver(api, "/gone");
    const done = await finished(api, job.id);
    expect(done.status).toBe("FAILED");
    expect(done.error).toMatchObject({ message: expect.stringContaining("answered 404") });
    // The run failed for good (the job is FAILED): there is nothing left that could deliver again.
    expect(peer.requests.filter((r) => r.path === "/gone")).toHaveLength(1);
  });

  it("honours Retry-After", async () => {
    const api = stack.caller(org());
    script.set("/busy", [{ status: 503, headers: { "retry-after": "2" } }, { status: 200 }]);
    const { job } = await deliver(api, "/busy");
    expect((await finished(api, job.id)).status).toBe("COMPLETED");
    const [first, second] = peer.requests.filter((r) => r.path === "/busy");
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(1900);
  });

  it("keeps at most 5 deliveries in flight per destination host", async () => {
    const api = stack.caller(org());
    script.set(
      "/slow",
      Array.from({ length: 12 }, () => ({ status: 200, delayMs: 300 })),
    );
    const ids = [];
    for (let i = 0; i < 12; i++) ids.push((await deliver(api, "/slow", { i })).job.id);
    for (const id of ids) expect((await finished(api, id)).status).toBe("COMPLETED");
    expect(peer.maxInFlight()).toBeLessThanOrEqual(5);
    expect(peer.maxInFlight()).toBeGreaterThanOrEqual(2);
  });
});

describe("approval-workflow", () => {
  const waitingForDecision = (api: Api, id: string) =>
    until("waiting for a decision", async () => {
      const j = await api.job.byId({ id });
      return j.status === "WAITING" && j.steps.some((s) => s.kind === "WAIT_FOR_EVENT" && s.status === "RUNNING") && j;
    });

  it("executes after an approval and records who decided", async () => {
    const api = stack.caller(org(), "user_approver");
    const { job } = await api.job.create({ type: "approval-workflow", payload: { title: "Refund #12", amount: 40 } });
    await waitingForDecision(api, job.id);
    const insight = await until("the engine explains the wait", async () => {
      const i = await api.job.insight({ id: job.id });
      return i.waiting.length > 0 && i;
    });
    expect(insight.waiting[0]).toContain("waiting for event approval/decision.made");
    expect(insight.unavailable).toBeUndefined();
    await api.job.decide({ id: job.id, decision: "approve", comment: "fine" });
    const done = await finished(api, job.id);
    // The job is COMPLETED as the handler returns; the engine records the run's end once that answer is in.
    const ended = await until("the engine to record the run's end", async () => {
      const i = await api.job.insight({ id: job.id });
      return i.runStatus !== "Running" && i;
    });
    expect(ended).toMatchObject({ runStatus: "Completed", waiting: [] });
    expect(done.result).toMatchObject({ outcome: "APPROVED", decidedBy: "user_approver", comment: "fine" });
    expect(done.steps.map((s) => s.name)).toEqual(["prepare", "wait-for-decision", "execute"]);
    const again = await api.job.decide({ id: job.id, decision: "reject" }).catch((e) => e);
    expect((again as TRPCError).code).toBe("CONFLICT");
  });

  it("rejects on a reject decision, and expires as REJECTED when nobody decides in time", async () => {
    const api = stack.caller(org());
    const rejected = (await api.job.create({ type: "approval-workflow", payload: { title: "Spend" } })).job;
    await waitingForDecision(api, rejected.id);
    await api.job.decide({ id: rejected.id, decision: "reject" });
    expect((await finished(api, rejected.id)).result).toMatchObject({ outcome: "REJECTED", reason: "rejected" });

    const expiring = (await api.job.create({ type: "approval-workflow", payload: { title: "Late", timeout: "2s" } })).job;
    const done = await finished(api, expiring.id);
    expect(done.status).toBe("COMPLETED");
    expect(done.result).toMatchObject({ outcome: "REJECTED", reason: "expired", timeout: "2s" });
    const badTimeout = await api.job.create({ type: "approval-workflow", payload: { title: "x", timeout: "soon" } }).catch((e) => e);
    expect((badTimeout as TRPCError).code).toBe("BAD_REQUEST");
  });
});

describe("process-with-credits", () => {
  it("deducts exactly one credit per job across network retries and a replay; no credits ends without failing", async () => {
    const flaky = await startHttpPeer((req, res) => {
      // The first attempt's connection is cut: step.fetch retries it, then the endpoint answers.
      if (flaky.requests.length === 1) return void res.socket?.destroy();
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: true, got: JSON.parse(req.body || "{}") }));
    });
    try {
      const orgId = org();
      const api = stack.caller(orgId, "user_credits");
      expect(await api.credits.balance()).toMatchObject({ balance: 2 });
      const { job } = await api.job.create({
        type: "process-with-credits",
        payload: { url: `${flaky.url}/render`, input: { prompt: "hi" } },
      });
      const done = await finished(api, job.id);
      expect(done.status).toBe("COMPLETED");
      expect(done.result).toMatchObject({ status: "completed", charged: true, balance: 1 });
      expect(flaky.requests.length).toBe(2);
      expect(JSON.parse(flaky.requests[1]?.body ?? "")).toEqual({ prompt: "hi" });

      // Replaying the finished run repeats the work but not the charge.
      await engineJson(`/v1/runs/${done.runId}/replay`, { method: "POST" });
      await until("replay done", async () => {
        const runs = (await engineJson("/v1/runs?function_id=jobdeck-process-with-credits&limit=50")) as Array<{
          status: string;
          replay_of?: string;
          output?: any;
        }>;
        const replay = runs.find((r) => r.replay_of === done.runId && r.status === "Completed");
        return replay && expect(replay.output).toMatchObject({ charged: false, balance: 1 });
      });
      expect(await api.credits.balance()).toMatchObject({ balance: 1 });

      const second = (await api.job.create({ type: "process-with-credits", payload: { url: `${flaky.url}/render` } })).job;
      expect((await finished(api, second.id)).result).toMatchObject({ charged: true, balance: 0 });
      const broke = (await api.job.create({ type: "process-with-credits", payload: { url: `${flaky.url}/render` } })).job;
      const none = await finished(api, broke.id);
      expect(none.status).toBe("COMPLETED");
      expect(none.result).toEqual({ status: "no credits", balance: 0 });
    } finally {
      await flaky.close();
    }
  });

  it("fails the job through its failure handler when the endpoint answers an error, without charging", async () => {
    const failing = await startHttpPeer((_req, res) => {
      res.writeHead(500);
      res.end("boom");
    });
    try {
      const api = stack.caller(org(), "user_unlucky");
      const { job } = await api.job.create({ type: "process-with-credits", payload: { url: failing.url } });
      const done = await finished(api, job.id);
      expect(done.status).toBe("FAILED");
      expect(done.error).toMatchObject({ message: expect.stringContaining("answered 500") });
      expect(await api.credits.balance()).toMatchObject({ balance: 2 });
    } finally {
      await failing.close();
    }
  });
});

describe("queues", () => {
  it("renders a report, fills a template and aggregates queue statistics for the organization", async () => {
    const orgId = org();
    const api = stack.caller(orgId);
    const demo = (await api.job.create({ type: "demo-task", payload: {} })).job;
    await finished(api, demo.id);

    const report = (await api.job.create({ type: "render-report", payload: { title: "Weekly", days: 7 } })).job;
    const reportDone = await finished(api, report.id);
    expect(reportDone.result).toMatchObject({ title: "Weekly", jobs: 2 });
    const doc = await api.document.byId({ id: (reportDone.result as { documentId: string }).documentId });
    expect(doc.content).toContain("# Weekly");
    expect(doc.content).toMatch(/\| demo-task \| 1 \| 1 \| 0 \|/);

    const content = (
      await api.job.create({
        type: "generate-content",
        payload: { title: "Hello", template: "Dear {{name}}, you have {{count}} new {{thing}}.", variables: { name: "Ann", count: 3 } },
      })
    ).job;
    const contentDone = await finished(api, content.id);
    expect(contentDone.result).toMatchObject({ missingVariables: ["thing"] });
    const text = await api.document.byId({ id: (contentDone.result as { documentId: string }).documentId });
    expect(text.content).toBe("Dear Ann, you have 3 new {{thing}}.");

    const sync = (await api.job.create({ type: "sync-analytics", payload: { minutes: 10 } })).job;
    expect((await finished(api, sync.id)).status).toBe("COMPLETED");
    const stats = await stack.db().queueStat.findMany({ where: { orgId } });
    const demoStats = stats.filter((s) => s.type === "demo-task");
    expect(demoStats.reduce((a, s) => a + s.queued, 0)).toBe(1);
    expect(demoStats.reduce((a, s) => a + s.completed, 0)).toBe(1);
    expect(demoStats.find((s) => s.started)?.p50LatencyMs).toBeGreaterThanOrEqual(0);
    // The overview's series reads them per minute, empty minutes included.
    const series = await api.job.series({ minutes: 10 });
    expect(series).toHaveLength(10);
    expect(series.reduce((a, p) => a + p.completed, 0)).toBeGreaterThanOrEqual(1);
    // The health endpoint reads the same statistics.
    const { getHealth } = await import("../../server/services/system/get-health.js");
    expect((await getHealth()).last15Minutes.completed).toBeGreaterThanOrEqual(1);
  });

  it("registers each queue with its own global and per-organization concurrency", async () => {
    const fns = (await engineJson("/v1/functions")) as Array<{ slug?: string; id?: string; config?: any }>;
    const config = (slug: string) => JSON.stringify(fns.find((f) => (f.slug ?? f.id) === slug));
    expect(config("jobdeck-render-report")).toContain('"limit":10');
    expect(config("jobdeck-generate-content")).toContain('"limit":30');
    expect(config("jobdeck-sync-analytics")).toContain('"limit":60');
    expect(config("jobdeck-sync-analytics")).toContain("event.data.orgId");
  });

  it("describes its functions exactly as Inngest registered them (the console's view when Inngest cannot list them)", async () => {
    const { servedFunctions } = await import("../../inngest/served-functions.js");
    const listed = (await engineJson("/v1/functions")) as Array<{ id: string; triggers: unknown; retries: number; flow_control: object }>;
    const normalize = (f: { id: string; triggers: unknown; retries: number; flow_control: object }) => ({
      id: f.id,
      triggers: f.triggers,
      retries: f.retries,
      flow_control: Object.fromEntries(Object.entries(f.flow_control).filter(([, v]) => v !== null)),
    });
    const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
    const served = servedFunctions().map(normalize).sort(byId);
    expect(served.length).toBeGreaterThanOrEqual(15);
    expect(served).toEqual(
      listed
        .filter((f) => f.id.startsWith("jobdeck-"))
        .map(normalize)
        .sort(byId),
    );
  });
});

describe("system functions", () => {
  it("track-failures marks the job FAILED, ALERT_WEBHOOK_URL's rule posts once for the failures; track-cancellations follows a cancel made in Inngest", async () => {
    const api = stack.caller(org());
    const { job } = await api.job.create({ type: "demo-task", payload: { simulateFailure: true, failAtStep: 1 } });
    expect((await finished(api, job.id)).status).toBe("FAILED");
    // ALERT_WEBHOOK_URL is an installation-wide rule: told when failures start (once, however many), not per job.
    const { evaluateAlerts } = await import("../../server/services/alerts/evaluate-alerts.js");
    const { notifyAlert } = await import("../../server/services/alerts/notify-alert.js");
    for (const id of await evaluateAlerts()) await notifyAlert(id);
    const alert = await until("alert posted", async () => alerts.requests.find((r) => r.body.includes("Failed jobs (ALERT_WEBHOOK_URL)")));
    expect(JSON.parse(alert.body).text).toMatch(/^Jobdeck FIRING: Failed jobs \(ALERT_WEBHOOK_URL\): \d+ jobs failed in the last 5 min/);

    const sleeper = (await api.job.create({ type: "approval-workflow", payload: { title: "cancel me from the dashboard" } })).job;
    const waiting = await until("waiting", async () => {
      const j = await api.job.byId({ id: sleeper.id });
      return j.status === "WAITING" && j.runId ? j : undefined;
    });
    await engineJson(`/v1/runs/${waiting.runId}/cancel`, { method: "POST" });
    const done = await finished(api, sleeper.id);
    expect(done.status).toBe("CANCELLED");
    const after = await api.job.byId({ id: sleeper.id });
    expect(after.steps.find((s) => s.kind === "WAIT_FOR_EVENT")?.status).toBe("CANCELLED");
  });
});
