import { randomBytes } from "node:crypto";
import { until } from "@jobdeck/test-kit";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppStack, finishedJob, startAppStack } from "../support/app-stack.js";
import { type HttpPeer, startHttpPeer } from "../support/peers.js";

/**
 * Alert rules on the real stack: validated by field, admins only, evaluated on the maintained counts, one
 * notification when a rule starts firing and one when it resolves (never one per job), through each channel (the
 * local mailbox, a Slack-compatible webhook, a webhook signed with the organization's secret and verified with the
 * standardwebhooks package), snoozed rules silent, everything in the history and the audit trail.
 */
let stack: AppStack;
let peer: HttpPeer;
const org = () => `org_${randomBytes(4).toString("hex")}`;

beforeAll(async () => {
  peer = await startHttpPeer((_req, res) => res.end("ok"));
  stack = await startAppStack();
});
afterAll(async () => {
  await stack?.stop();
  await peer?.close();
});

async function evaluate(now?: Date) {
  const { evaluateAlerts } = await import("../../server/services/alerts/evaluate-alerts.js");
  const { notifyAlert } = await import("../../server/services/alerts/notify-alert.js");
  for (const id of await evaluateAlerts(now)) await notifyAlert(id).catch(() => undefined);
}

async function rejection(p: Promise<unknown>) {
  return p.then(
    () => {
      throw new Error("expected a rejection");
    },
    (err) => err as { code: string; message: string; cause?: { details?: Array<{ path: string; message: string }> } },
  );
}

const failingJob = { type: "demo-task" as const, payload: { simulateFailure: true, failAtStep: 1 } };

describe("alert rules", () => {
  it("are an admin's to change: bad values named by field, members refused, viewers read", async () => {
    const orgId = org();
    const admin = stack.caller(orgId);
    const bad = await rejection(
      admin.alerts.create({
        name: "",
        kind: "FAILURE_RATE",
        threshold: 250,
        channel: "WEBHOOK",
        target: "http://169.254.169.254/latest",
      } as never),
    );
    expect(bad.code).toBe("BAD_REQUEST");
    expect(bad.cause?.details?.map((d) => d.path).sort()).toEqual(["name", "target", "threshold"]);
    expect(
      (await rejection(admin.alerts.create({ name: "x", kind: "NOPE", threshold: 1, channel: "EMAIL", target: "a@b.co" } as never)))
        .message,
    ).toMatch(/kind/);
    const rule = await admin.alerts.create({ name: "Backlog", kind: "BACKLOG", threshold: 5, channel: "EMAIL", target: "ops@example.com" });
    const member = stack.caller(orgId, "user_m", "org:member");
    expect(
      (await rejection(member.alerts.create({ name: "m", kind: "BACKLOG", threshold: 1, channel: "EMAIL", target: "m@x.co" }))).code,
    ).toBe("FORBIDDEN");
    expect((await rejection(member.alerts.delete({ id: rule.id }))).code).toBe("FORBIDDEN");
    expect((await stack.caller(orgId, "user_v", "org:viewer").alerts.list()).map((r) => r.name)).toEqual(["Backlog"]);
    // Another organization cannot see or touch it.
    expect((await rejection(stack.caller(org()).alerts.delete({ id: rule.id }))).code).toBe("NOT_FOUND");
    const updated = await admin.alerts.update({ id: rule.id, threshold: 10 });
    expect(updated.threshold).toBe(10);
    await admin.alerts.delete({ id: rule.id });
    const audit = await stack.db().auditEvent.findMany({ where: { orgId }, orderBy: { id: "asc" } });
    expect(audit.map((a) => a.action)).toEqual(["alertRule.create", "alertRule.update", "alertRule.delete"]);
    expect(audit[1]).toMatchObject({ before: { threshold: 5 }, after: { threshold: 10 } });
  });

  it("fires once for many failures through a signed webhook, stays quiet while firing, and resolves once", async () => {
    const orgId = org();
    const admin = stack.caller(orgId);
    const rule = await admin.alerts.create({
      name: "Demo failures",
      kind: "FAILURES",
      jobType: "demo-task",
      threshold: 2,
      windowMinutes: 10,
      channel: "WEBHOOK",
      target: `${peer.url}/alerts/${orgId}`,
    });
    const jobs = [];
    for (let i = 0; i < 3; i++) jobs.push((await admin.job.create(failingJob)).job.id);
    for (const id of jobs) await finishedJob(admin, id);
    await evaluate();
    await evaluate();
    const mine = () => peer.requests.filter((r) => r.path === `/alerts/${orgId}`);
    await until("the firing notification", async () => mine().length >= 1);
    const secret = await stack.caller(orgId).settings.revealWebhookSecret();
    const first = mine()[0] as (typeof peer.requests)[number];
    const verified = new Webhook(secret.current).verify(first.body, first.headers as Record<string, string>) as Record<string, unknown>;
    expect(verified).toMatchObject({ type: "alert.firing", rule: { id: rule.id, kind: "FAILURES" }, value: 3 });
    expect(mine()).toHaveLength(1);
    expect((await admin.alerts.list())[0]).toMatchObject({ state: "FIRING", lastValue: 3 });

    // The window passes with no new failure: resolved, told once.
    await evaluate(new Date(Date.now() + 30 * 60_000));
    await until("the resolved notification", async () => mine().length === 2);
    expect(JSON.parse((mine()[1] as { body: string }).body)).toMatchObject({ type: "alert.resolved", value: 0 });
    const history = await admin.alerts.history({ ruleId: rule.id });
    expect(history.items.map((e) => e.kind)).toEqual(["RESOLVED", "FIRING"]);
    expect(history.items.every((e) => e.notifiedAt !== null)).toBe(true);
  });

  it("emails through the mailbox, posts {text} to a Slack-compatible webhook, and sends nothing while snoozed", async () => {
    const orgId = org();
    const admin = stack.caller(orgId);
    const email = await admin.alerts.create({
      name: "Rate",
      kind: "FAILURE_RATE",
      threshold: 40,
      channel: "EMAIL",
      target: "ops@example.com",
    });
    const slack = await admin.alerts.create({
      name: "Any failure",
      kind: "FAILURES",
      threshold: 1,
      channel: "SLACK",
      target: `${peer.url}/slack/${orgId}`,
    });
    const quiet = await admin.alerts.create({
      name: "Snoozed",
      kind: "FAILURES",
      threshold: 1,
      channel: "SLACK",
      target: `${peer.url}/quiet/${orgId}`,
    });
    await admin.alerts.snooze({ id: quiet.id, minutes: 60 });
    const ok = (await admin.job.create({ type: "demo-task", payload: { delayMs: 1 } })).job.id;
    const bad = (await admin.job.create(failingJob)).job.id;
    await finishedJob(admin, ok);
    await finishedJob(admin, bad);
    await evaluate();
    const mail = await until("the alert email", async () =>
      (await admin.mailbox.list()).find((m: { subject: string }) => m.subject === "[Jobdeck] Alert: Rate"),
    );
    expect(mail.text).toMatch(/FIRING: Rate: 50% of jobs failed in the last 15 min \(threshold 40%\)/);
    const post = await until("the slack post", async () => peer.requests.find((r) => r.path === `/slack/${orgId}`));
    expect(JSON.parse(post.body)).toEqual({ text: expect.stringMatching(/^Jobdeck FIRING: Any failure: 1 jobs failed/) });
    expect(peer.requests.some((r) => r.path === `/quiet/${orgId}`)).toBe(false);
    const snoozed = (await admin.alerts.history({ ruleId: quiet.id })).items[0];
    expect(snoozed).toMatchObject({ kind: "FIRING", snoozed: true, notifiedAt: null });
    expect((await admin.alerts.list()).find((r) => r.id === email.id)?.state).toBe("FIRING");
    expect(slack.id).toBeTruthy();
  });

  it("watches the backlog, the oldest queued job and silent running jobs", async () => {
    const orgId = org();
    const admin = stack.caller(orgId);
    const stale = await admin.alerts.create({
      name: "Stale",
      kind: "OLDEST_QUEUED",
      threshold: 600,
      channel: "SLACK",
      target: `${peer.url}/stale/${orgId}`,
    });
    const stuck = await admin.alerts.create({
      name: "Stuck",
      kind: "STUCK",
      threshold: 300,
      channel: "SLACK",
      target: `${peer.url}/stuck/${orgId}`,
    });
    const backlog = await admin.alerts.create({
      name: "Backlog",
      kind: "BACKLOG",
      threshold: 2,
      channel: "SLACK",
      target: `${peer.url}/backlog/${orgId}`,
    });
    // Rows as a stalled installation would have them (the engine is not involved in what the rules read).
    await stack.db().$executeRaw`
      INSERT INTO "Job" ("id", "orgId", "createdBy", "type", "status", "payload", "source", "attempt", "createdAt", "updatedAt", "startedAt", "heartbeatAt")
      VALUES (gen_random_uuid(), ${orgId}, 'test', 'render-report', 'QUEUED', '{}', 'API', 1, now() - interval '20 minutes', now(), NULL, NULL),
             (gen_random_uuid(), ${orgId}, 'test', 'render-report', 'QUEUED', '{}', 'API', 1, now(), now(), NULL, NULL),
             (gen_random_uuid(), ${orgId}, 'test', 'render-report', 'RUNNING', '{}', 'API', 1, now(), now(), now(), now() - interval '10 minutes')`;
    await evaluate();
    const rules = new Map((await admin.alerts.list()).map((r) => [r.id, r]));
    expect(rules.get(stale.id)).toMatchObject({ state: "FIRING" });
    expect(rules.get(stale.id)?.lastValue).toBeGreaterThanOrEqual(1200);
    expect(rules.get(stuck.id)).toMatchObject({ state: "FIRING", lastValue: 1 });
    expect(rules.get(backlog.id)).toMatchObject({ state: "FIRING", lastValue: 2 });
    for (const path of ["stale", "stuck", "backlog"])
      await until(`${path} told`, async () => peer.requests.some((r) => r.path === `/${path}/${orgId}`));
  });
});
