import { randomBytes } from "node:crypto";
import { until } from "@jobdeck/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppStack, finishedJob, startAppStack } from "../support/app-stack.js";

/**
 * Roles and the audit trail on the real stack (tRPC procedures as the console calls them, the services behind every
 * door): a viewer can read and do nothing else, a member acts on jobs but not on settings, an admin does both; every
 * change is recorded once, with who, where and what, in the same transaction, and a refused or failed action leaves
 * no record. Sensitive payload fields are masked for viewers.
 */
let stack: AppStack;
const OPERATOR = "user_ops";
const org = () => `org_${randomBytes(4).toString("hex")}`;
const request = { id: "req-test-1", ip: "203.0.113.7", userAgent: "audit-test/1.0", door: "trpc" as const };

beforeAll(async () => {
  stack = await startAppStack({ JOBDECK_OPERATORS: OPERATOR });
});
afterAll(async () => stack?.stop());

async function code(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => "OK",
    (err: { code?: string; message?: string }) => `${err.code}: ${err.message}`,
  );
}

const auditOf = (orgId: string) => stack.db().auditEvent.findMany({ where: { orgId }, orderBy: { id: "asc" } });

describe("roles", () => {
  it("lets a viewer read everything and change nothing, by any procedure, and says why", async () => {
    const orgId = org();
    const admin = stack.caller(orgId, "user_admin", "org:admin");
    const viewer = stack.caller(orgId, "user_viewer", "org:viewer");
    const { job } = await admin.job.create({ type: "approval-workflow", payload: { title: "Wire funds" } });
    const failed = (await admin.job.create({ type: "demo-task", payload: { simulateFailure: true, failAtStep: 1 } })).job;
    const before = await auditOf(orgId);

    const attempts: Record<string, () => Promise<unknown>> = {
      "job.create": () => viewer.job.create({ type: "demo-task", payload: {} }),
      "job.createMany": () => viewer.job.createMany({ items: [{ type: "demo-task", payload: {} }] }),
      "job.cancel": () => viewer.job.cancel({ id: job.id }),
      "job.retry": () => viewer.job.retry({ id: failed.id }),
      "job.replay": () => viewer.job.replay({ id: failed.id }),
      "job.rerunFromStep": () => viewer.job.rerunFromStep({ id: failed.id, fromStep: "step-1-initialize" }),
      "job.decide": () => viewer.job.decide({ id: job.id, decision: "approve" }),
      "job.bulk": () => viewer.job.bulk({ action: "cancel", ids: [job.id] }),
      "job.acknowledge": () => viewer.job.acknowledge({}),
      "run.replayFailed": () => viewer.run.replayFailed({}),
      "system.sendEvent": () => viewer.system.sendEvent({ name: "custom/hello", data: {} }),
      "settings.webhookSecret": () => viewer.settings.webhookSecret(),
      "settings.rotateWebhookSecret": () => viewer.settings.rotateWebhookSecret({}),
    };
    for (const [what, attempt] of Object.entries(attempts)) {
      expect(await code(attempt()), what).toMatch(/^FORBIDDEN: .*needs .*; your role \(viewer\) can only read$/);
    }
    // Nothing changed, nothing recorded.
    expect(await auditOf(orgId)).toEqual(before);
    expect((await admin.job.byId({ id: job.id })).status).not.toBe("CANCELLED");
    // Reads all answer.
    expect((await viewer.job.list({})).items.length).toBeGreaterThanOrEqual(2);
    expect((await viewer.job.byId({ id: job.id })).id).toBe(job.id);
    expect(await viewer.whoami()).toMatchObject({ role: "viewer", scope: { orgId } });
    expect(await code(viewer.run.replayFailed({ preview: true }))).toBe("OK");
  });

  it("lets a member act on jobs but not on the organization's settings", async () => {
    const orgId = org();
    const member = stack.caller(orgId, "user_member", "org:member");
    const { job } = await member.job.create({ type: "approval-workflow", payload: { title: "Pay" } });
    expect((await member.job.cancel({ id: job.id })).status).toBe("CANCELLED");
    expect(await code(member.settings.webhookSecret())).toMatch(
      /^FORBIDDEN: seeing the webhook signing secret needs an organization admin/,
    );
    expect(await code(member.settings.rotateWebhookSecret({}))).toMatch(/^FORBIDDEN: rotating/);
    expect(await member.whoami()).toMatchObject({ role: "member" });
  });

  it("masks the fields a job type marks sensitive for viewers, in lists, pages and start events", async () => {
    const orgId = org();
    const admin = stack.caller(orgId);
    const viewer = stack.caller(orgId, "user_viewer", "org:viewer");
    const { job } = await admin.job.create({
      type: "deliver-webhook",
      payload: { url: "https://hooks.example.com/in", body: { a: 1 }, headers: { Authorization: "Bearer s3cr3t" } },
    });
    const mail = (
      await admin.job.create({
        type: "send-welcome-email",
        payload: { email: "ada@example.com", name: "Ada" },
        idempotencyKey: "welcome-ada",
      })
    ).job;
    const seen = await viewer.job.byId({ id: job.id });
    expect(seen.payload).toMatchObject({ url: "https://hooks.example.com/in", headers: "••••••" });
    expect(JSON.stringify(seen)).not.toContain("s3cr3t");
    const listed = (await viewer.job.list({})).items.find((j) => j.id === mail.id);
    expect(listed?.payload).toMatchObject({ email: "••••••", name: "Ada" });
    expect(JSON.stringify((await viewer.job.byId({ id: mail.id })).startEvent)).not.toContain("ada@example.com");
    // Members and admins see what was given.
    expect((await admin.job.byId({ id: mail.id })).payload).toMatchObject({ email: "ada@example.com" });
    const types = await viewer.job.types();
    const schema = types.find((t) => t.type === "send-welcome-email")?.payloadSchema as {
      properties: Record<string, { sensitive?: boolean }>;
    };
    expect(schema.properties.email?.sensitive).toBe(true);
  });
});

describe("the audit trail", () => {
  it("records each change once, with who, where and what, and nothing for a refused or failed one", async () => {
    const orgId = org();
    const admin = stack.caller(orgId, "user_admin", "org:admin", request);
    const { job } = await admin.job.create({ type: "demo-task", payload: { delayMs: 10 } });
    await finishedJob(admin, job.id);
    // A cancel of a finished job is refused: no record.
    expect(await code(admin.job.cancel({ id: job.id }))).toMatch(/^CONFLICT/);
    const approval = (await admin.job.create({ type: "approval-workflow", payload: { title: "Ship" } })).job;
    await until("the approval waits", async () => (await admin.job.byId({ id: approval.id })).status === "WAITING", 30_000);
    await admin.job.decide({ id: approval.id, decision: "reject", comment: "not today" });
    await admin.job.createMany({ items: [1, 2, 3].map((n) => ({ type: "demo-task" as const, payload: { taskId: `bulk-${n}` } })) });
    await admin.settings.rotateWebhookSecret({ overlapHours: 2 });
    await admin.settings.webhookSecret();
    await admin.settings.revealWebhookSecret();
    await stack.caller(org(), OPERATOR, "org:admin", request).plan.set({ orgId, maxPendingJobs: 77 });

    const rows = await auditOf(orgId);
    expect(rows.map((r) => r.action)).toEqual([
      "job.create",
      "job.create",
      "job.reject",
      "job.createMany",
      "webhookSecret.rotate",
      "webhookSecret.reveal",
      "plan.set",
    ]);
    const [create] = rows;
    expect(create).toMatchObject({
      actorId: "user_admin",
      actorRole: "admin",
      door: "trpc",
      targetType: "job",
      targetId: job.id,
      requestId: "req-test-1",
      ip: "203.0.113.7",
      userAgent: "audit-test/1.0",
    });
    expect(create?.after).toMatchObject({ jobId: job.id, type: "demo-task", source: "TRPC" });
    expect(rows[2]).toMatchObject({ targetId: approval.id, after: { decision: "reject", comment: "not today" } });
    expect(rows[3]?.after).toMatchObject({ created: 3, items: 3 });
    expect(JSON.stringify(rows[4]?.after)).not.toContain("whsec_");
    expect(rows[6]).toMatchObject({ actorId: OPERATOR, actorRole: "operator", orgId, after: { maxPendingJobs: 77, weight: 1 } });
  });

  it("records a bulk action once, an idempotent repeat not at all, and a job's replay against the job replayed", async () => {
    const orgId = org();
    const admin = stack.caller(orgId);
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await admin.job.create({ type: "approval-workflow", payload: { title: `t${i}` } })).job.id);
    const again = await admin.job.create({ type: "approval-workflow", payload: { title: "t0" }, idempotencyKey: "k1" });
    await admin.job.create({ type: "approval-workflow", payload: { title: "t0" }, idempotencyKey: "k1" });
    await admin.job.bulk({ action: "cancel", ids: [...ids, again.job.id] });
    const replay = await admin.job.replay({ id: ids[0] as string });
    const rows = await auditOf(orgId);
    expect(rows.map((r) => r.action)).toEqual(["job.create", "job.create", "job.create", "job.create", "job.bulk.cancel", "job.replay"]);
    expect(rows[4]?.after).toMatchObject({ matched: 4, done: 4, skipped: 0 });
    expect(rows[5]).toMatchObject({ targetId: ids[0], after: { jobId: replay.job.id } });
  });

  it("is read by the organization's members, and by operators for every organization, newest first by page", async () => {
    const [a, b] = [org(), org()];
    for (const o of [a, b])
      for (let i = 0; i < 3; i++) await stack.caller(o).job.create({ type: "approval-workflow", payload: { title: `x${i}` } });
    const viewer = stack.caller(a, "user_v", "org:viewer");
    const first = await viewer.audit.list({ limit: 2 });
    expect(first.items.map((r) => r.orgId)).toEqual([a, a]);
    expect(first.cursor).not.toBeNull();
    const second = await viewer.audit.list({ limit: 2, cursor: first.cursor as string });
    expect(second.items).toHaveLength(1);
    expect(Number(second.items[0]?.id)).toBeLessThan(Number(first.items[1]?.id));
    expect(await code(viewer.audit.list({ organization: b }))).toMatch(/^FORBIDDEN/);
    const operator = stack.caller(org(), OPERATOR);
    expect((await operator.audit.list({ organization: b })).items.every((r) => r.orgId === b)).toBe(true);
    const everyone = new Set((await operator.audit.list({ limit: 200 })).items.map((r) => r.orgId));
    expect(everyone.has(a) && everyone.has(b)).toBe(true);
    expect((await viewer.audit.list({ action: "job." })).items.length).toBe(3);
    expect(await code(viewer.audit.list({ action: "job.create'; --" }))).toMatch(/^BAD_REQUEST: .*action/);
  });

  it("drops entries older than AUDIT_RETENTION_DAYS when the maintenance prune runs", async () => {
    const orgId = org();
    await stack.caller(orgId).job.create({ type: "approval-workflow", payload: { title: "old" } });
    await stack.db().auditEvent.updateMany({ where: { orgId }, data: { at: new Date(Date.now() - 400 * 86_400_000) } });
    const { pruneAuxiliary } = await import("../../server/services/maintenance/prune-old-jobs.js");
    expect((await pruneAuxiliary()).auditEvents).toBeGreaterThanOrEqual(1);
    expect(await auditOf(orgId)).toEqual([]);
  });
});
