import { until } from "@jobdeck/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Rig, rig } from "../support/harness.js";

/**
 * An event that started no run says why (GET /v1/events and /v1/events/:id: `fate` per matching function and
 * `no_run_reason`): no function listens, the trigger's `if` did not match, deduplicated by id or idempotency key,
 * rate-limited. Kept with the event, so the answer holds after the fact.
 */
describe("why an event started no run", () => {
  let r: Rig;

  beforeAll(async () => {
    r = await rig("fate", (inngest) => [
      inngest.createFunction({ id: "picky", triggers: [{ event: "fate/a", if: "event.data.ok == true" }] }, async () => "ran"),
      inngest.createFunction({ id: "any", triggers: [{ event: "fate/b" }] }, async () => "ran"),
      inngest.createFunction({ id: "limited", rateLimit: { limit: 1, period: "1m" }, triggers: [{ event: "fate/c" }] }, async () => "ran"),
      inngest.createFunction({ id: "once", idempotency: "event.data.k", triggers: [{ event: "fate/d" }] }, async () => "ran"),
    ]);
  });
  afterAll(async () => r?.stop());

  const eventOf = async (id: string) => (await r.engine.api.events.get(id)).data;
  const sendOne = async (name: string, data: Record<string, unknown>, id?: string) =>
    (await r.client.send({ name, data, ...(id ? { id } : {}) })).ids[0] as string;

  it("names an event no function listens to", async () => {
    const ev = await eventOf(await sendOne("fate/nobody", {}));
    expect(ev.runs).toEqual([]);
    expect(ev.fate).toEqual([]);
    expect(ev.no_run_reason).toBe("no function listens to fate/nobody");
  });

  it("says the trigger's if did not match, and nothing when a run started", async () => {
    const filtered = await eventOf(await sendOne("fate/a", { ok: false }));
    expect(filtered.fate).toEqual([{ function_id: "fate-picky", outcome: "filtered", reason: "if_not_matched" }]);
    expect(filtered.no_run_reason).toBe("fate-picky: its trigger's if did not match");
    const ran = await eventOf(await sendOne("fate/a", { ok: true }));
    expect(ran.runs).toHaveLength(1);
    expect(ran.fate).toEqual([{ function_id: "fate-picky", outcome: "run" }]);
    expect(ran.no_run_reason).toBeNull();
  });

  it("says an event was deduplicated by its id, rate-limited, or its idempotency key was seen", async () => {
    await sendOne("fate/b", {}, "same-id");
    const dup = await eventOf(await sendOne("fate/b", {}, "same-id"));
    expect(dup.no_run_reason).toBe("fate-any: an event with the same id was received in the last 24 h (deduplicated by id)");

    await sendOne("fate/c", {});
    const limited = await eventOf(await sendOne("fate/c", {}));
    expect(limited.no_run_reason).toBe("fate-limited: rate-limited");

    await sendOne("fate/d", { k: "order-9" });
    const seen = await eventOf(await sendOne("fate/d", { k: "order-9" }));
    expect(seen.no_run_reason).toBe("fate-once: its idempotency key was seen in the last 24 h");

    // The list says the same as the single view.
    const listed = await until("the rate-limited event in the list", async () => {
      const all = await r.engine.api.events.list({ name: "fate/c", limit: 10 });
      return all.data.find((e) => e.internal_id === limited.internal_id);
    });
    expect(listed.no_run_reason).toBe("fate-limited: rate-limited");
  });
});
