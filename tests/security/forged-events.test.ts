import { randomBytes } from "node:crypto";
import { until } from "@jobdeck/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppStack, startAppStack } from "../support/app-stack.js";
import { organizationRows } from "./support.js";

/**
 * Events that name another organization's job. The console's "send event" must not be able to produce one, and
 * one that reaches Inngest anyway (a leaked event key, a bug) must change nothing of that organization: the
 * job-tracking middleware, cancelOn, waitForEvent and the at-most-once keys all go by the event's organization.
 */
let stack: AppStack;
const org = () => `org_${randomBytes(4).toString("hex")}`;

beforeAll(async () => {
  // An operator of its own, so the organizations here see their own events only (not the installation's).
  stack = await startAppStack({ JOBDECK_OPERATORS: "user:user_ops" });
});
afterAll(async () => stack?.stop());

async function rejection(p: Promise<unknown>) {
  try {
    await p;
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error("expected a rejection");
}

describe("forged events", () => {
  const victim = org();
  const attacker = org();
  let approvalId = "";
  let sleeperId = "";
  let emailJobId = "";

  beforeAll(async () => {
    const b = stack.caller(victim, "user_b");
    approvalId = (await b.job.create({ type: "approval-workflow", payload: { title: "Pay invoice", amount: 100 } })).job.id;
    sleeperId = (await b.job.create({ type: "demo-task", payload: { sleepFor: "1h" } })).job.id;
    emailJobId = (
      await b.job.create({ type: "send-welcome-email", payload: { email: "b@example.com", name: "B" }, idempotencyKey: "b-welcome" })
    ).job.id;
    await until("approval waiting", async () => (await b.job.byId({ id: approvalId })).status === "WAITING");
    await until("sleeper waiting", async () => (await b.job.byId({ id: sleeperId })).status === "WAITING");
    await until("email sent", async () => (await b.job.byId({ id: emailJobId })).status === "COMPLETED");
  });

  it("the console refuses the app's own event names, whatever the data", async () => {
    const a = stack.caller(attacker, "user_a");
    for (const name of [
      "approval/decision.made",
      "jobdeck/job.cancel.requested",
      "demo/task.requested",
      "email/welcome.requested",
      "credits/process.requested",
      "webhook/delivery.requested",
      "inngest/function.failed",
      " approval/decision.made ",
    ]) {
      const err = await rejection(a.system.sendEvent({ name, data: { jobId: approvalId, orgId: victim, decision: "approve" } }));
      expect(err.code, name).toBe("BAD_REQUEST");
      expect(err.message).toMatch(/reserved/);
    }
  });

  it("the console sets the organization itself: data.orgId from the caller is overwritten", async () => {
    const a = stack.caller(attacker, "user_a");
    const { ids } = await a.system.sendEvent({ name: "custom/ping", data: { orgId: victim, jobId: approvalId } });
    const ev = await until("event stored", async () => {
      const res = await stack.engineApi(`/v1/events/${ids[0]}`);
      return res.ok && ((await res.json()) as { data: { data: Record<string, unknown> } }).data;
    });
    expect(ev.data).toMatchObject({ orgId: attacker, sentBy: "user_a" });
    // …and the victim's event list does not show it.
    expect((await stack.caller(victim, "user_b").system.events()).map((e) => e.internal_id)).not.toContain(ids[0]);
  });

  it("events that reach Inngest with another organization's job id change none of that organization's rows", async () => {
    const before = await organizationRows(stack, victim);
    const { inngest } = await import("../../inngest/client.js");
    await inngest.send([
      // A decision for the victim's approval, sent as the attacker's organization, and one with no organization.
      { name: "approval/decision.made", data: { jobId: approvalId, orgId: attacker, decision: "approve", decidedBy: "user_a" } },
      { name: "approval/decision.made", data: { jobId: approvalId, decision: "approve" } },
      // A cancel of the victim's sleeping job.
      { name: "jobdeck/job.cancel.requested", data: { jobId: sleeperId, orgId: attacker } },
      { name: "jobdeck/job.cancel.requested", data: { jobId: sleeperId } },
      // A second welcome email for the victim's job, to the attacker, and a demo task run on the victim's job row.
      { name: "email/welcome.requested", data: { jobId: emailJobId, orgId: attacker, email: "a@evil.example", name: "A", message: "" } },
      { name: "email/welcome.requested", data: { jobId: emailJobId, email: "a@evil.example", name: "A", message: "" } },
      { name: "demo/task.requested", data: { jobId: sleeperId, orgId: attacker, taskId: "x", force: true } },
      { name: "report/render.requested", data: { jobId: approvalId, orgId: attacker, days: 1 } },
    ]);
    // Let every run those events start finish (they are ignored, so they finish quickly).
    await until("forged runs ended", async () => {
      const res = await stack.engineApi("/v1/runs?status=queued,running&limit=500");
      const runs = ((await res.json()) as { data: Array<{ function_id: string; event_name: string }> }).data;
      return runs.every((r) => ["jobdeck-approval-workflow", "jobdeck-demo-task"].includes(r.function_id)) && runs.length === 2;
    });
    const after = await organizationRows(stack, victim);
    expect(after).toEqual(before);
    expect(after.jobs.find((j) => j.id === approvalId)?.status).toBe("WAITING");
    expect(after.jobs.find((j) => j.id === sleeperId)?.status).toBe("WAITING");
    // No message went anywhere: the forged email runs did no work at all.
    expect(await stack.db().mailboxMessage.count({ where: { to: "a@evil.example" } })).toBe(0);
    expect(await stack.db().sideEffect.count({ where: { key: { contains: attacker } } })).toBe(0);

    // The real decision, through the job service, still works.
    const b = stack.caller(victim, "user_b");
    await b.job.decide({ id: approvalId, decision: "approve" });
    await until("approved", async () => (await b.job.byId({ id: approvalId })).status === "COMPLETED");
    expect((await b.job.byId({ id: approvalId })).result).toMatchObject({ outcome: "APPROVED", decidedBy: "user_b" });
  });
});
