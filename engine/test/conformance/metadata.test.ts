import { createHash } from "node:crypto";
import type { Inngest } from "inngest";
import { metadataMiddleware, scoreMiddleware } from "inngest/experimental";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endedRunsOf, post, type Rig, rig } from "../support/harness.js";

const sha1 = (s: string) => createHash("sha1").update(s).digest("hex");

/**
 * Run metadata and scores as Inngest takes them: `metadata.set()` inside a step rides on the step's opcode,
 * outside a step (and `inngest.score`) it is `POST /v1/runs/:id/metadata` (pkg/api/apiv1/metadata.go,
 * pkg/tracing/metadata at 253303c). Both are kept with the run and shown, folded per target and kind, in its view.
 */
describe.each([
  ["checkpointing", true],
  ["classic", false],
])("run metadata and scores, %s path", (_path, checkpointing) => {
  let r: Rig;

  beforeAll(async () => {
    r = await rig(
      checkpointing ? "metac" : "metap",
      (inngest: Inngest) => [
        inngest.createFunction({ id: "tagged", triggers: [{ event: "meta/go" }] }, async (ctx) => {
          const step = ctx.step as typeof ctx.step & {
            metadata(id: string): { update(v: Record<string, unknown>): Promise<void> };
            score(id: string, o: { name: string; value: number | boolean }): Promise<void>;
          };
          await step.run("tag", async () => {
            await inngest.metadata.set({ region: "eu" });
            return 1;
          });
          await step.metadata("counter").update({ a: 1 });
          await step.score("grade", { name: "quality", value: 0.9 });
          await step.run("outside", async () => {
            // A different run's target is never batched onto this step's opcode: it goes through the API.
            await inngest.metadata.run(ctx.runId).set({ phase: "after" }, "progress");
            return 2;
          });
          return "done";
        }),
        inngest.createFunction({ id: "plain", triggers: [{ event: "meta/plain" }] }, async () => "ok"),
      ],
      { checkpointing },
      { middleware: [metadataMiddleware(), scoreMiddleware()] },
    );
  });
  afterAll(async () => r?.stop());

  const url = (runId: string) => `${r.engine.url}/v1/runs/${runId}/metadata`;
  const plainRun = async () => {
    const { ids } = await r.client.send({ name: "meta/plain", data: {} });
    const [run] = await endedRunsOf(r.engine, `${checkpointing ? "metac" : "metap"}-plain`, ids);
    return run?.run_id as string;
  };
  const metadataOf = async (runId: string) => (await r.engine.api.runs.get(runId)).data.metadata;

  it("metadata set in a step, by step.metadata and step.score is stored and shown with the run", async () => {
    const { ids } = await r.client.send({ name: "meta/go", data: {} });
    const [run] = await endedRunsOf(r.engine, `${checkpointing ? "metac" : "metap"}-tagged`, ids);
    expect(run?.status).toBe("Completed");
    const md = run?.metadata ?? [];
    expect(md).toContainEqual(
      expect.objectContaining({ scope: "step", step_id: sha1("tag"), kind: "userland.default", values: { region: "eu" } }),
    );
    expect(md).toContainEqual(expect.objectContaining({ scope: "run", kind: "userland.default", values: { a: 1 } }));
    expect(md).toContainEqual(expect.objectContaining({ scope: "run", kind: "inngest.score", values: { quality: { value: 0.9 } } }));
    expect(md).toContainEqual(expect.objectContaining({ scope: "run", kind: "userland.progress", values: { phase: "after" } }));
    // Metadata is not a step of the timeline.
    expect(run?.steps.some((s) => (s.kind as string) === "metadata")).toBe(false);
  });

  it("the API folds updates per target and kind with Inngest's merge, set, delete and add", async () => {
    const runId = await plainRun();
    const send = (op: string, values: Record<string, unknown>) =>
      post(url(runId), { target: { run_id: runId }, metadata: [{ kind: "userland.stats", op, values }] });
    for (const [op, values] of [
      ["merge", { a: 1, b: "x" }],
      ["add", { a: 2, c: 5 }],
      ["delete", { b: null }],
      ["merge", { d: true }],
    ] as const) {
      const res = await send(op, values);
      expect(res.status).toBe(200);
      expect(res.json).toBe(""); // Inngest answers with no body
    }
    expect(await metadataOf(runId)).toEqual([
      expect.objectContaining({ scope: "run", kind: "userland.stats", values: { a: 3, c: 5, d: true } }),
    ]);
    await send("set", { only: 1 });
    expect((await metadataOf(runId))[0]?.values).toEqual({ only: 1 });
  });

  it("targets a step by its id (hashed as the SDK hashes it, with step_index) and one attempt of it", async () => {
    const runId = await plainRun();
    const m = [{ kind: "userland.x", op: "merge", values: { k: 1 } }];
    expect((await post(url(runId), { target: { run_id: runId, step_id: "charge" }, metadata: m })).status).toBe(200);
    expect((await post(url(runId), { target: { run_id: runId, step_id: "charge", step_index: 2 }, metadata: m })).status).toBe(200);
    expect((await post(url(runId), { target: { run_id: runId, step_id: "charge", step_attempt: 1 }, metadata: m })).status).toBe(200);
    const md = await metadataOf(runId);
    expect(md).toContainEqual(expect.objectContaining({ scope: "step", step_id: sha1("charge"), attempt: null }));
    expect(md).toContainEqual(expect.objectContaining({ scope: "step", step_id: sha1("charge:2") }));
    expect(md).toContainEqual(expect.objectContaining({ scope: "step_attempt", step_id: sha1("charge"), attempt: 1 }));
  });

  it("refuses what Inngest refuses, with a 4xx naming the problem, and writes nothing", async () => {
    const runId = await plainRun();
    const cases: Array<[unknown, number, RegExp]> = [
      [{ target: { step_attempt: 1 }, metadata: [] }, 400, /target\.step_id must be defined if target\.step_attempt is defined/],
      [{ target: { span_id: "abc" }, metadata: [] }, 400, /target\.step_id must be defined if target\.span_id is defined/],
      [{ metadata: [{ kind: "inngest.secret", op: "merge", values: {} }] }, 400, /not in the allowlist/],
      [{ metadata: [{ kind: "userland.x", op: "explode", values: {} }] }, 400, /op: must be one of merge, set, delete, add/],
      [{ metadata: [{ kind: "x".repeat(129), op: "merge", values: {} }] }, 400, /kind exceeds maximum length/],
      [{ metadata: [{ kind: "userland.x", op: "merge", values: [1] }] }, 400, /values: must be an object/],
      [{ metadata: [{ kind: "inngest.score", op: "merge", values: { q: { value: "high" } } }] }, 400, /finite number or boolean/],
      [{ metadata: [{ kind: "inngest.score", op: "merge", values: { "it's": { value: 1 } } }] }, 400, /invalid characters/],
      [{ metadata: "nope" }, 400, /metadata must be an array/],
      [
        {
          metadata: [
            { kind: "userland.ok", op: "merge", values: { a: 1 } },
            { kind: "userland.big", op: "merge", values: { blob: "x".repeat(70_000) } },
          ],
        },
        413,
        /Metadata span exceeds maximum size of 64KB/,
      ],
    ];
    for (const [body, status, message] of cases) {
      const res = await post(url(runId), body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(status);
      expect(res.json.error).toMatch(message);
    }
    expect(await metadataOf(runId)).toEqual([]);
    expect((await post(`${r.engine.url}/v1/runs/not-a-ulid/metadata`, { metadata: [] })).json).toEqual({
      error: "Invalid run ID: not-a-ulid",
      status: 400,
    });
    expect((await post(url("01J00000000000000000000000"), { metadata: [] })).status).toBe(404);
  });

  it("a run's metadata is capped at 1 MB in all, as on Inngest", async () => {
    const runId = await plainRun();
    const chunk = (i: number) => ({ target: {}, metadata: [{ kind: `userland.c${i}`, op: "set", values: { blob: "y".repeat(60_000) } }] });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => post(url(runId), chunk(i))));
    const ok = results.filter((x) => x.status === 200).length;
    expect(ok).toBe(17); // 17 × 60,006 bytes fit in 1,048,576; the 18th does not
    for (const x of results.filter((y) => y.status !== 200))
      expect(x).toMatchObject({ status: 413, json: { error: "Cumulative metadata size exceeds limit" } });
    expect(await metadataOf(runId)).toHaveLength(17);
  });
});
