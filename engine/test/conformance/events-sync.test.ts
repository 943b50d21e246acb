import { until } from "@jobdeck/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endedRuns, post, type Rig, rig, runsOf, startEngine } from "../support/harness.js";
import { createClient, startApp } from "../support/sdk-app.js";

const seed = (ms: number) => `${ms},${Buffer.from("0123456789").toString("base64")}`;

describe("event API", () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig(
      "ev",
      (inngest) => [inngest.createFunction({ id: "echo", triggers: [{ event: "e/echo" }] }, async ({ event }) => event.data)],
      {
        maxEventBytes: 2000,
        maxBodyBytes: 50_000,
      },
    );
  });
  afterAll(async () => r?.stop());

  it("answers the SDK's array body with {ids, status: 200}", async () => {
    const res = await post(`${r.engine.url}/e/anykey`, [
      { name: "e/echo", data: { a: 1 } },
      { name: "e/other", data: {} },
    ]);
    expect(res.status).toBe(200);
    expect(res.json.status).toBe(200);
    expect(res.json.ids).toHaveLength(2);
    expect(res.json.ids[0]).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
  });

  it("derives ids from the SDK's seed so a retried send stores and runs nothing twice", async () => {
    const body = [{ name: "e/echo", data: { retry: true } }];
    const headers = { "x-inngest-event-id-seed": seed(Date.now()) };
    const runsBefore = r.decisions.created("ev-echo").length;
    const first = await post(`${r.engine.url}/e/k`, body, headers);
    const second = await post(`${r.engine.url}/e/k`, body, headers);
    expect(second.json.ids).toEqual(first.json.ids);
    // Each answer came after its decisions: the retried send started nothing.
    expect(r.decisions.created("ev-echo").length - runsBefore).toBe(1);
    await until("run", async () => (await runsOf(r.engine, "ev-echo")).some((x) => (x.output as { retry?: boolean })?.retry));
    expect((await runsOf(r.engine, "ev-echo")).filter((x) => (x.output as { retry?: boolean })?.retry)).toHaveLength(1);
    const ev = await r.engine.api.events.get(first.json.ids[0]);
    expect(ev.data.runs).toHaveLength(1);
  });

  it("refuses reserved inngest/ names in Inngest's error shape", async () => {
    const res = await post(`${r.engine.url}/e/k`, [{ name: "inngest/function.failed", data: {} }]);
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ ids: [], status: 400 });
    expect(res.json.error).toContain("reserved");
  });

  it("names the bad field and stores nothing of a request with one bad event", async () => {
    const before = (await r.engine.api.events.list({ limit: 500 })).data.length;
    const res = await post(`${r.engine.url}/e/k`, [{ name: "e/ok", data: {} }, { data: {} }]);
    expect(res.status).toBe(400);
    expect(res.json.error).toBe("events[1].name: required, a non-empty string");
    const bad = await post(`${r.engine.url}/e/k`, [{ name: "e/ok", data: [1, 2] }]);
    expect(bad.json.error).toBe("events[0].data: must be an object");
    const ts = await post(`${r.engine.url}/e/k`, { name: "e/ok", ts: "yesterday" });
    expect(ts.json.error).toMatch(/^event\.ts: must be a timestamp in milliseconds/);
    const after = (await r.engine.api.events.list({ limit: 500 })).data.length;
    expect(after).toBe(before);
  });

  it("answers malformed JSON, oversize events and oversize bodies with 4xx", async () => {
    const malformed = await post(`${r.engine.url}/e/k`, "[{not json");
    expect(malformed.status).toBe(400);
    const big = await post(`${r.engine.url}/e/k`, [{ name: "e/echo", data: { blob: "x".repeat(3000) } }]);
    expect(big.status).toBe(400);
    expect(big.json.error).toContain("larger than the 2000-byte event limit");
    const huge = await post(`${r.engine.url}/e/k`, [{ name: "e/echo", data: { blob: "x".repeat(60_000) } }]);
    expect(huge.json.error, JSON.stringify(huge.json)).toContain("too large");
    expect(huge.status).toBe(413);
    const nothing = await post(`${r.engine.url}/e/k`, "null");
    expect(nothing.status).toBe(400);
  });

  it("answers an empty array or an empty body as Inngest does: 200 with one empty id, and stores nothing", async () => {
    // inngest/inngest pkg/api/api.go ReceiveEvent (253303c): no events parsed is a success, and its ids slice
    // (cut at the highest index seen, 0) holds one empty string.
    const before = (await r.engine.api.events.list({ limit: 500 })).data.length;
    const answers = [
      await post(`${r.engine.url}/e/k`, []),
      await post(`${r.engine.url}/e/k`, ""),
      await fetch(`${r.engine.url}/e/k`, { method: "POST" }).then(async (res) => ({ status: res.status, json: await res.json() })),
    ];
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ ids: [""], status: 200 });
    }
    expect((await r.engine.api.events.list({ limit: 500 })).data.length).toBe(before);
  });

  it("uses a future ts to delay the start", async () => {
    const at = Date.now() + 1500;
    await post(`${r.engine.url}/e/k`, [{ name: "e/echo", data: { delayed: true }, ts: at }]);
    const run = await until("delayed run", async () =>
      (await runsOf(r.engine, "ev-echo")).find((x) => x.waiting?.reason.startsWith("scheduled")),
    );
    expect(run.waiting?.reason).toContain("scheduled");
    const done = await until("delayed run done", async () =>
      (await runsOf(r.engine, "ev-echo", "Completed")).find((x) => (x.output as { delayed?: boolean })?.delayed),
    );
    expect(Date.parse(done.run_started_at as string)).toBeGreaterThanOrEqual(at - 5);
  });
});

describe("event keys", () => {
  it("accepts only configured keys when keys are set", async () => {
    const engine = await startEngine({ eventKeys: ["secret-key"] });
    try {
      const bad = await post(`${engine.url}/e/wrong`, [{ name: "a/b", data: {} }]);
      expect(bad.status).toBe(401);
      expect(bad.json).toMatchObject({ ids: [], status: 401 });
      const ok = await post(`${engine.url}/e/secret-key`, [{ name: "a/b", data: {} }]);
      expect(ok.status).toBe(200);
    } finally {
      await engine.stop(100);
    }
  });
});

describe("sync", () => {
  it("registers an app that PUTs its own serve endpoint (out-of-band), and archives removed functions", async () => {
    const engine = await startEngine();
    const client = createClient("selfreg", engine.url);
    const f1 = client.createFunction({ id: "one", triggers: [{ event: "s/one" }] }, async () => 1);
    const f2 = client.createFunction({ id: "two", triggers: [{ cron: "0 0 1 1 *" }] }, async () => 2);
    const app = await startApp(client, [f1, f2]);
    try {
      const put = await fetch(app.url, { method: "PUT" });
      expect(put.status).toBe(200);
      const fns = await engine.api.functions.list();
      expect(fns.data.map((f) => f.id)).toEqual(["selfreg-one", "selfreg-two"]);
      expect(fns.data[1]?.triggers).toEqual([{ cron: "0 0 1 1 *" }]);
      const apps = await engine.api.functions.apps();
      expect(apps.data[0]).toMatchObject({ id: "selfreg", url: app.url });

      // The app is known now: a re-sync on demand picks up a changed function list.
      const app2 = await startApp(client, [f1]);
      await engine.apps.syncUrl(app2.url);
      const after = await engine.api.functions.list();
      expect(after.data.find((f) => f.id === "selfreg-two")?.archived).toBe(true);
      await app2.close();
    } finally {
      await app.close();
      await engine.stop(100);
    }
  });

  it("rejects an invalid register call with a 400 naming the problem", async () => {
    const engine = await startEngine();
    try {
      const noUrl = await post(`${engine.url}/fn/register`, { appName: "x", functions: [] });
      expect(noUrl.status).toBe(400);
      expect(noUrl.json.error).toContain("url");
      const badCron = await post(`${engine.url}/fn/register`, {
        url: "http://127.0.0.1:9/api/inngest",
        appName: "x",
        functions: [
          {
            id: "x-f",
            name: "f",
            triggers: [{ event: "a/b", expression: "event.data.x ==" }],
            steps: {
              step: { id: "step", name: "step", runtime: { type: "http", url: "http://127.0.0.1:9/api/inngest?fnId=x-f&stepId=step" } },
            },
          },
        ],
      });
      expect(badCron.status).toBe(400);
      expect(badCron.json.error).toContain('function "x-f": triggers[0].expression');
      expect((await engine.api.functions.list()).data).toHaveLength(0);
      const garbage = await post(`${engine.url}/fn/register`, "not json at all");
      expect(garbage.status).toBe(400);
    } finally {
      await engine.stop(100);
    }
  });

  it("answers unknown functions, runs and events with 404 and bad filters with 400", async () => {
    const engine = await startEngine();
    try {
      expect((await fetch(`${engine.url}/v1/functions/nope`)).status).toBe(404);
      expect((await post(`${engine.url}/v1/runs/01ARZ3NDEKTSV4RRFFQ69G5FAV/cancel`, {})).status).toBe(404);
      expect((await fetch(`${engine.url}/v1/events/nope`)).status).toBe(404);
      const bad = await fetch(`${engine.url}/v1/runs?status=weird`);
      expect(bad.status).toBe(400);
      expect((await bad.json()).error).toContain('unknown value "weird"');
      expect((await fetch(`${engine.url}/v1/runs?from=notadate`)).status).toBe(400);
      expect((await fetch(`${engine.url}/nothing-here`)).status).toBe(404);
    } finally {
      await engine.stop(100);
    }
  });
});

describe("unreachable and misbehaving apps", () => {
  it("holds a down app's requests without spending retries, says why, and completes once the app is back", async () => {
    const engine = await startEngine({ backoff: 300 });
    const client = createClient("flaky", engine.url);
    // No retries at all: if an unreachable app counted as a failure, this run would fail.
    const fn = client.createFunction({ id: "f", retries: 0, triggers: [{ event: "fl/go" }] }, async () => "done");
    let app = await startApp(client, [fn]);
    const port = Number(new URL(app.url).port);
    try {
      await engine.apps.syncUrl(app.url);
      await app.close();
      await post(`${engine.url}/e/k`, [{ name: "fl/go", data: {} }]);
      const waiting = await until("held", async () => (await runsOf(engine, "flaky-f"))[0]?.waiting?.reason);
      expect(waiting).toMatch(/^app flaky is not answering at .* \(ECONNREFUSED/);
      const health = (await (await fetch(`${engine.url}/health`)).json()) as { apps_unreachable: Array<{ app: string }> };
      expect(health.apps_unreachable.map((a) => a.app)).toEqual(["flaky"]);
      // Several probes find it away (100, 200, 400 ms apart) while its request waits without spending an attempt.
      for (let i = 0; i < 3; i++) await engine.events.waitFor("app.probed", (p) => p.appId === "flaky" && p.error !== undefined);
      app = await startApp(client, [fn], { port });
      const [run] = await endedRuns(engine, "flaky-f", 1);
      expect(run?.status).toBe("Completed");
      expect(run?.steps.filter((s) => s.status === "errored" || s.status === "failed")).toEqual([]);
      expect(((await (await fetch(`${engine.url}/health`)).json()) as { apps_unreachable: unknown[] }).apps_unreachable).toEqual([]);
    } finally {
      await app.close();
      await engine.stop(100);
    }
  });

  it("treats a non-SDK answer as a retriable error, then fails the run", async () => {
    const engine = await startEngine();
    const { createServer } = await import("node:http");
    const server = createServer((req, res) => {
      if (req.method === "PUT") {
        res.end("ok");
        return;
      }
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>proxy error page</html>");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    const url = `http://127.0.0.1:${port}/api/inngest`;
    try {
      const reg = await post(`${engine.url}/fn/register`, {
        url,
        appName: "garbage",
        functions: [
          {
            id: "garbage-f",
            name: "f",
            triggers: [{ event: "g/go" }],
            steps: {
              step: {
                id: "step",
                name: "step",
                runtime: { type: "http", url: `${url}?fnId=garbage-f&stepId=step` },
                retries: { attempts: 2 },
              },
            },
          },
        ],
      });
      expect(reg.status).toBe(200);
      await post(`${engine.url}/e/k`, [{ name: "g/go", data: {} }]);
      const [run] = await endedRuns(engine, "garbage-f", 1);
      expect(run?.status, JSON.stringify(run)).toBe("Failed");
      expect((run?.error as { message: string } | undefined)?.message).toContain("not an Inngest SDK response");
      expect(run?.steps.filter((s) => s.kind === "function")).toHaveLength(3);
      const health = await (await fetch(`${engine.url}/health`)).json();
      expect(health.status).toBe("ok");
    } finally {
      server.close();
      await engine.stop(100);
    }
  });
});

describe("a backlog beyond the in-memory threshold", () => {
  it("keeps queued runs in the database and still runs each once, in order", async () => {
    const order: number[] = [];
    const r2 = await rig(
      "backlog",
      (inngest) => [
        inngest.createFunction({ id: "one-by-one", concurrency: 1, triggers: [{ event: "b/go" }] }, async ({ event, step }) => {
          await step.run("record", () => {
            order.push(event.data.i as number);
          });
          return event.data.i;
        }),
      ],
      { evictBacklogAbove: 3 },
    );
    try {
      await r2.client.send(Array.from({ length: 20 }, (_, i) => ({ name: "b/go", data: { i } })));
      // Most of the queued runs are not held in memory while they wait.
      expect(r2.engine.ctx.runs.size).toBeLessThan(10);
      const runs = await endedRuns(r2.engine, "backlog-one-by-one", 20);
      expect(runs.every((x) => x.status === "Completed")).toBe(true);
      expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i));
    } finally {
      await r2.stop();
    }
  });

  it("counts a tenant's own backlog: another tenant's new run stays in memory, as it starts at a next free slot", async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const order: string[] = [];
    const r2 = await rig(
      "backlog-tenants",
      (inngest) => [
        inngest.createFunction(
          { id: "shared", concurrency: [{ limit: 1 }, { limit: 1, key: "event.data.orgId" }], triggers: [{ event: "t/go" }] },
          async ({ event, step }) => {
            await step.run("hold", async () => {
              order.push(`${event.data.orgId}/${event.data.i}`);
              await gate;
            });
          },
        ),
      ],
      { evictBacklogAbove: 3 },
    );
    try {
      const a = await r2.client.send(Array.from({ length: 20 }, (_, i) => ({ name: "t/go", data: { orgId: "org_a", i } })));
      const b = await r2.client.send({ name: "t/go", data: { orgId: "org_b", i: 0 } });
      const runOf = async (eventId: string) =>
        until(`the run of ${eventId}`, async () => (await runsOf(r2.engine, "backlog-tenants-shared")).find((r) => r.event_id === eventId));
      const [lastOfA, onlyOfB] = [await runOf(a.ids.at(-1) as string), await runOf(b.ids[0] as string)];
      // org_a's 20th run waits behind 19 of its own: read back when its turn comes. org_b's waits for one slot.
      expect(r2.engine.ctx.runs.get(lastOfA.run_id as string)).toBeUndefined();
      expect(r2.engine.ctx.runs.get(onlyOfB.run_id as string)).toBeDefined();
      open();
      const runs = await endedRuns(r2.engine, "backlog-tenants-shared", 21);
      expect(runs.every((x) => x.status === "Completed")).toBe(true);
      expect(order.indexOf("org_b/0")).toBeLessThanOrEqual(2);
    } finally {
      open();
      await r2.stop();
    }
  });
});
