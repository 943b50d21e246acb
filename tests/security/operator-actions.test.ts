import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppStack, startAppStack } from "../support/app-stack.js";

/**
 * Installation-wide actions are an operator's (JOBDECK_OPERATORS), never an organization admin's: pausing a
 * function stops it for every organization, and credits are money. Tenants see their own figures only.
 */
let stack: AppStack;
const org = () => `org_${randomBytes(4).toString("hex")}`;

beforeAll(async () => {
  stack = await startAppStack({ JOBDECK_OPERATORS: "user_ops" });
});
afterAll(async () => stack?.stop());

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (err) {
    return (err as { code: string }).code;
  }
}

describe("pausing functions", () => {
  it("is refused to members and organization admins, and allowed to an operator", async () => {
    const acme = org();
    const member = stack.caller(acme, "user_member", "org:member");
    const admin = stack.caller(acme, "user_admin", "org:admin");
    const operator = stack.caller(org(), "user_ops", "org:member");
    expect(await code(member.system.setPaused({ id: "jobdeck-demo-task", paused: true }))).toBe("FORBIDDEN");
    expect(await code(admin.system.setPaused({ id: "jobdeck-demo-task", paused: true }))).toBe("FORBIDDEN");
    // An organization whose id is an operator's user id is not an operator: users and organizations are separate lists.
    const lookalike = stack.caller("user_ops", "user_someone", "org:admin");
    expect(await code(lookalike.system.setPaused({ id: "jobdeck-demo-task", paused: true }))).toBe("FORBIDDEN");
    expect(stack.engine.ctx.registry.get("jobdeck-demo-task")?.paused).toBe(false);
    await operator.system.setPaused({ id: "jobdeck-demo-task", paused: true });
    expect(stack.engine.ctx.registry.get("jobdeck-demo-task")?.paused).toBe(true);
    await operator.system.setPaused({ id: "jobdeck-demo-task", paused: false });
    expect(stack.engine.ctx.registry.get("jobdeck-demo-task")?.paused).toBe(false);
  });

  it("shows tenants their own counts and no pause control, operators the installation's", async () => {
    const mine = org();
    const other = org();
    const me = stack.caller(mine, "user_me");
    await stack.caller(other, "user_other").job.create({ type: "render-report", payload: { days: 1 } });
    await stack.caller(other, "user_other").job.create({ type: "render-report", payload: { days: 1 } });
    await me.job.create({ type: "render-report", payload: { days: 1 } });
    const tenantView = await me.system.functions();
    expect(tenantView).toMatchObject({ canPause: false, countsScope: "organization" });
    const report = tenantView.functions.find((f) => f.id === "jobdeck-render-report");
    const total = Object.values(report?.counts_24h ?? {}).reduce((a, b) => a + b, 0);
    expect(total).toBe(1);
    // System functions have no jobs of the tenant's: nothing of anyone else's shows.
    expect(tenantView.functions.find((f) => f.id === "jobdeck-snapshot-queue-stats")?.counts_24h).toEqual({});
    const operatorView = await stack.caller(org(), "user_ops").system.functions();
    expect(operatorView).toMatchObject({ canPause: true, countsScope: "installation" });
    const all = operatorView.functions.find((f) => f.id === "jobdeck-render-report");
    expect(Object.values(all?.counts_24h ?? {}).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(3);
  });
});

describe("granting credits", () => {
  it("is refused to members and admins: nobody mints their own credits", async () => {
    const acme = org();
    for (const [user, role] of [
      ["user_m", "org:member"],
      ["user_a", "org:admin"],
    ] as const) {
      const api = stack.caller(acme, user, role);
      expect(await code(api.credits.grant({ amount: 1_000_000 }))).toBe("FORBIDDEN");
      expect(await code(api.credits.grant({ amount: 5, userId: "user_x" }))).toBe("FORBIDDEN");
      expect((await api.credits.balance()).balance).toBe(5);
    }
  });

  it("lets an operator grant within bounds; past the integer range is a 400, and nothing changes", async () => {
    const acme = org();
    const ops = stack.caller(org(), "user_ops");
    expect(await ops.credits.grant({ amount: 10, userId: "user_c", orgId: acme })).toMatchObject({ balance: 15, orgId: acme });
    expect(await code(ops.credits.grant({ amount: 1_000_001, userId: "user_c", orgId: acme }))).toBe("BAD_REQUEST");
    expect(await code(ops.credits.grant({ amount: 0, userId: "user_c", orgId: acme }))).toBe("BAD_REQUEST");
    expect(await code(ops.credits.grant({ amount: 1.5, userId: "user_c", orgId: acme }))).toBe("BAD_REQUEST");
    await stack.db().creditAccount.update({ where: { orgId_userId: { orgId: acme, userId: "user_c" } }, data: { balance: 2_147_000_000 } });
    const err = await ops.credits.grant({ amount: 1_000_000, userId: "user_c", orgId: acme }).catch((e) => e);
    expect(err.code).toBe("BAD_REQUEST");
    expect(err.message).toMatch(/amount: .*at most 483647/);
    expect((await stack.caller(acme, "user_c").credits.balance()).balance).toBe(2_147_000_000);
    expect((await ops.credits.grant({ amount: 483_647, userId: "user_c", orgId: acme })).balance).toBe(2_147_483_647);
  });
});
