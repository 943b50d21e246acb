import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppStack, STACK_KEYS, startAppStack } from "../support/app-stack.js";

/**
 * Per-tenant views cost the same whatever other tenants send: the events page reads its organization's index range
 * without the events' data (one event's data is read on its own, cut at 64 KB), and the engine's page query touches
 * the same pages of the database before and after another organization sends 500 events of 900 KB.
 */
let stack: AppStack;
const org = () => `org_${randomBytes(4).toString("hex")}`;

beforeAll(async () => {
  // An operator of its own, so the callers below are tenants (the development identity is an operator otherwise).
  stack = await startAppStack({ JOBDECK_OPERATORS: "user_ops" });
});
afterAll(async () => stack?.stop());

/** Events straight to the engine's event API, as any sender would (orgId in the data names the tenant). */
async function send(events: Array<{ name: string; data: Record<string, unknown> }>) {
  const res = await fetch(`${stack.engine.url}/e/${STACK_KEYS.eventKey}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(events),
  });
  expect(res.status).toBe(200);
}

/** Shared buffers the engine's page query for one tenant touches (EXPLAIN ANALYZE BUFFERS). */
async function pageBuffers(tenant: string): Promise<{ buffers: number; plan: string }> {
  const rows = await stack.db().$queryRawUnsafe<Array<{ "QUERY PLAN": string }>>(
    `EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) SELECT internal_id, id, name, ts, received_at, fate, tenant, data_bytes
       FROM engine.events WHERE tenant = $1 ORDER BY internal_id DESC LIMIT 51`,
    tenant,
  );
  const plan = rows.map((r) => r["QUERY PLAN"]).join("\n");
  const buffers = [...plan.matchAll(/shared (?:hit|read)=(\d+)/g)].reduce((n, m) => Math.max(n, Number(m[1])), 0);
  return { buffers, plan };
}

describe("the events page per organization", () => {
  it("lists its own events without their data, and costs the same after another sends 500 events of 900 KB", async () => {
    const [a, b] = [org(), org()];
    const api = stack.caller(a);
    await send([1, 2, 3].map((n) => ({ name: "shop/order.placed", data: { orgId: a, n } })));
    const before = await pageBuffers(a);
    // 500 × 900 KB from org_b, in requests of 10 (the engine takes up to 16 MB per request).
    const blob = "z".repeat(900 * 1024);
    for (let i = 0; i < 50; i++) await send(Array.from({ length: 10 }, (_, n) => ({ name: "shop/bulk", data: { orgId: b, n, blob } })));
    const after = await pageBuffers(a);
    console.log(`org_a's page: ${before.buffers} buffers before org_b's 500 × 900 KB, ${after.buffers} after`);
    expect(after.plan).toMatch(/Index Scan using events_tenant_idx/);
    expect(after.buffers).toBeLessThanOrEqual(before.buffers + 2);

    const page = await api.system.events();
    expect(page.map((e) => e.name)).toEqual(["shop/order.placed", "shop/order.placed", "shop/order.placed"]);
    expect(JSON.stringify(page).length).toBeLessThan(5_000);
    expect(page[0]).not.toHaveProperty("data");

    // org_b's own page: its big events by size, and one of them read on its own, cut at 64 KB.
    const theirs = await stack.caller(b).system.events({ limit: 5 });
    expect(theirs).toHaveLength(5);
    expect(theirs[0]?.bytes).toBeGreaterThan(900 * 1024);
    const one = await stack.caller(b).system.event({ id: theirs[0]?.id as string });
    expect(one.data).toBeNull();
    expect(one.preview).toHaveLength(64 * 1024);
    // ...and not by anyone else.
    const foreign = await api.system.event({ id: theirs[0]?.id as string }).catch((e: { code: string }) => e);
    expect((foreign as { code: string }).code).toBe("NOT_FOUND");
  }, 240_000);

  it("answers 503 with a clear message, not 500, when the engine does not answer", async () => {
    await stack.stopEngine();
    try {
      const err = await stack
        .caller(org())
        .system.events()
        .catch((e: { code: string; message: string }) => e);
      expect((err as { code: string }).code).toBe("SERVICE_UNAVAILABLE");
      expect((err as { message: string }).message).toMatch(/did not answer/);
    } finally {
      await stack.restartEngine();
    }
  });
});
