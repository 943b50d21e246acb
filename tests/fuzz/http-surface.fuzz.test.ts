import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { until } from "@jobdeck/test-kit";
import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runningEmbeddedPostgresUrl } from "../../scripts/lib/embedded-postgres.js";
import { stackKeysPath } from "../../scripts/lib/stack-keys.js";
import { type LaunchedStack, launchFreshMachineStack } from "../support/launch-stack.js";
import { startHttpPeer } from "../support/peers.js";
import { deepJson, JOB_TYPES, jobType, weirdField, weirdJson, weirdNumber, weirdString } from "./corpus.js";

/**
 * Every REST route, tRPC procedure and engine route of `npm start`, fed the inputs that broke them before and a
 * generated corpus: no answer may be a 5xx, none may hang, no row may be half-written, and afterwards the engine is
 * healthy and takes events. Prints how many inputs were tried.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 25);
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const TIMEOUT_MS = 20_000;

interface Probe {
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
}

describe("the HTTP surface under hostile input", () => {
  let stack: LaunchedStack;
  const dataDir = join(mkdtempSync(join(tmpdir(), "jobdeck-fuzz-")), "pglite");
  let keys: { signingKey: string; eventKey: string };
  const failures: string[] = [];
  let tried = 0;

  beforeAll(async () => {
    stack = await launchFreshMachineStack(dataDir);
    keys = JSON.parse(readFileSync(stackKeysPath(dataDir), "utf8"));
  }, 300_000);
  afterAll(async () => stack?.kill(), 30_000);

  const sample = <T>(arb: fc.Arbitrary<T>, n = RUNS) => fc.sample(arb, { numRuns: n, seed: SEED });
  /** Percent-encoding of the UTF-8 bytes (a lone surrogate becomes U+FFFD's, as a browser would send it). */
  const enc = (v: unknown) =>
    [...Buffer.from(typeof v === "string" ? v : (JSON.stringify(v) ?? ""), "utf8")]
      .map((b) => `%${b.toString(16).padStart(2, "0")}`)
      .join("");

  async function probe(base: string, p: Probe): Promise<number> {
    tried++;
    const what = `${p.method} ${p.path.slice(0, 160)} ${p.body?.slice(0, 160) ?? ""}`;
    try {
      const res = await fetch(`${base}${p.path}`, {
        method: p.method,
        headers: { ...(p.body !== undefined ? { "content-type": "application/json" } : {}), ...p.headers },
        body: p.body,
        signal: AbortSignal.timeout(TIMEOUT_MS),
        redirect: "manual",
      });
      const text = await res.text();
      if (res.status >= 500 && !(res.status === 503 && res.headers.get("retry-after"))) {
        failures.push(`${res.status} ${what} -> ${text.slice(0, 200)}`);
      }
      return res.status;
    } catch (err) {
      failures.push(`no answer (${(err as Error).name}: ${(err as Error).message}) ${what}`);
      return 0;
    }
  }
  const app = (p: Probe) => probe(stack.baseUrl, p);
  const engine = (p: Probe, authorized = true) =>
    probe(stack.engineUrl, { ...p, headers: { ...(authorized ? { authorization: `Bearer ${keys.signingKey}` } : {}), ...p.headers } });
  const json = (v: unknown) => JSON.stringify(v);

  it("the known bad inputs", async () => {
    const bodies = [
      json({ type: "demo-task", payload: { taskId: "a\u0000b" } }),
      json({ type: "demo-task", payload: { taskId: "half \ud83d" } }),
      json({ type: "demo-task", payload: {}, idempotencyKey: "k\u0000" }),
      json({ type: "demo-task", payload: { sleepFor: "99999999999999999999s" } }),
      json({ type: "demo-task", payload: {}, priority: 2 ** 31 }),
      json({ type: "demo-task", payload: { "k\u0000": 1 } }),
      json({ type: "generate-content", payload: { title: "t", template: "x".repeat(300_000) } }),
      json({ type: "deliver-webhook", payload: { url: "http://127.0.0.1:8288/v1/runs/cancel" } }),
      `{"type":"demo-task","payload":${deepJson(10_000)}}`,
      "{nope",
      "[]",
      "null",
      '"string"',
    ];
    for (const body of bodies) expect(await app({ method: "POST", path: "/api/jobs", body })).toBeLessThan(500);
    for (const q of [
      "q=%00",
      "q=%ED%A0%80",
      "q=%25",
      "createdFrom=%2B275760-09-13T00:00:00.000Z",
      "createdFrom=0001-01-01",
      "createdTo=99999999999999999999",
      `cursor=${Buffer.from("2024-01-01T00:00:00.000Z|not-a-uuid").toString("base64url")}`,
      "limit=99999999999",
      "status=%00",
    ]) {
      expect(await app({ method: "GET", path: `/api/jobs?${q}` }), q).toBeLessThan(500);
    }
    expect(await app({ method: "GET", path: `/api/trpc/document.list?input=${enc({ jobId: "abc" })}` })).toBe(400);
    expect(await app({ method: "POST", path: "/api/credits", body: json({ amount: 2 ** 31 }) })).toBe(400);
    expect(await app({ method: "POST", path: "/api/trpc/system.sendEvent", body: json({ name: "x/y", data: { s: "\ud800" } }) })).toBe(400);
    // Bodies far past the limit: a 413, not a reset connection or a truncated "not valid JSON".
    for (const mb of [2, 10, 30]) {
      const big = json({ type: "demo-task", payload: { blob: "x".repeat(mb * 1024 * 1024) } });
      expect(await app({ method: "POST", path: "/api/jobs", body: big }), `${mb} MB`).toBe(413);
    }
    // Engine routes.
    for (const q of ["function_id=a%00b", "from=99999999999999999999999", "to=x", "status=nope"]) {
      expect(await engine({ method: "GET", path: `/v1/runs?${q}` }), q).toBe(400);
    }
    expect(
      await engine({ method: "POST", path: "/v1/cancellations", body: json({ function_id: "f", started_after: "99999999999999999999" }) }),
    ).toBe(400);
    expect(await engine({ method: "POST", path: `/e/${keys.eventKey}`, body: json([{ name: "x/y", ts: 1e20 }]) })).toBe(400);
    expect(await engine({ method: "POST", path: `/e/${keys.eventKey}`, body: json([{ name: "x/y", data: { s: "\udc00" } }]) })).toBe(400);
  }, 300_000);

  it("generated input to every REST route", async () => {
    const createBody = fc.record(
      {
        type: jobType,
        payload: fc.oneof(
          weirdJson,
          fc.dictionary(
            fc.constantFrom(
              "taskId",
              "delayMs",
              "sleepFor",
              "url",
              "email",
              "name",
              "title",
              "template",
              "timeout",
              "days",
              "amount",
              "body",
              "headers",
              "variables",
              "minutes",
            ),
            weirdJson,
          ),
        ),
        priority: weirdField,
        idempotencyKey: weirdField,
      },
      { requiredKeys: [] },
    );
    for (const body of sample(createBody, RUNS * 3)) await app({ method: "POST", path: "/api/jobs", body: json(body) });
    const listQuery = fc.dictionary(
      fc.constantFrom("status", "type", "q", "createdFrom", "createdTo", "limit", "cursor", "unacknowledged"),
      weirdString,
      { maxKeys: 4 },
    );
    for (const q of sample(listQuery, RUNS * 2)) {
      await app({
        method: "GET",
        path: `/api/jobs?${Object.entries(q)
          .map(([k, v]) => `${k}=${enc(v)}`)
          .join("&")}`,
      });
    }
    for (const id of sample(weirdString)) {
      for (const [method, suffix] of [
        ["GET", ""],
        ["GET", "/status"],
        ["POST", "/cancel"],
        ["POST", "/retry"],
      ] as const) {
        await app({ method, path: `/api/jobs/${enc(id)}${suffix}` });
      }
      await app({ method: "POST", path: `/api/jobs/${enc(id)}/decision`, body: json({ decision: id, comment: id }) });
    }
    for (const body of sample(fc.record({ amount: weirdNumber, userId: weirdField, orgId: weirdField }, { requiredKeys: [] }))) {
      await app({ method: "POST", path: "/api/credits", body: json(body) });
    }
    for (const path of ["/api/credits", "/api/dashboard", "/api/health"]) await app({ method: "GET", path });
  }, 600_000);

  it("generated input to every tRPC procedure", async () => {
    const queries = [
      "job.list",
      "job.count",
      "job.byId",
      "job.status",
      "job.insight",
      "job.series",
      "job.stats",
      "job.types",
      "mailbox.list",
      "document.list",
      "document.byId",
      "credits.balance",
      "system.functions",
      "system.events",
      "whoami",
      "ping",
    ];
    const mutations = [
      "job.create",
      "job.retry",
      "job.cancel",
      "job.decide",
      "job.bulk",
      "job.acknowledge",
      "credits.grant",
      "system.setPaused",
      "system.sendEvent",
    ];
    const inputs = sample(weirdJson, RUNS);
    for (const path of queries) for (const input of inputs) await app({ method: "GET", path: `/api/trpc/${path}?input=${enc(input)}` });
    for (const path of mutations) {
      for (const input of inputs) {
        // Leave the installation running: nothing pauses a real function by chance.
        if (
          path === "system.setPaused" &&
          typeof (input as { id?: unknown })?.id === "string" &&
          JOB_TYPES.some((t) => (input as { id: string }).id.includes(t))
        )
          continue;
        await app({ method: "POST", path: `/api/trpc/${path}`, body: json(input) });
      }
    }
    // A batch, and one over the limit.
    await app({ method: "GET", path: `/api/trpc/${Array(25).fill("ping").join(",")}?batch=1&input=${enc({})}` });
  }, 600_000);

  it("generated input to every engine route, with and without the key", async () => {
    const ids = sample(weirdString);
    const bodies = sample(weirdJson);
    for (const authorized of [true, false]) {
      for (let i = 0; i < ids.length; i++) {
        const id = enc(ids[i]);
        const body = json(bodies[i]);
        const probes: Probe[] = [
          { method: "GET", path: `/v1/functions/${id}` },
          { method: "POST", path: `/v1/functions/${id}x/pause`, body: "{}" },
          { method: "GET", path: `/v1/runs?function_id=${id}&status=${id}&from=${id}&cursor=${id}&limit=${id}` },
          { method: "GET", path: `/v1/runs/${id}` },
          { method: "POST", path: `/v1/runs/${id}/cancel`, body: "{}" },
          { method: "DELETE", path: `/v1/runs/${id}` },
          { method: "POST", path: `/v1/runs/${id}/replay`, body: "{}" },
          { method: "POST", path: "/v1/runs/cancel", body },
          { method: "POST", path: "/v1/runs/replay", body },
          { method: "POST", path: "/v1/cancellations", body },
          { method: "GET", path: `/v1/events?name=${id}&cursor=${id}&limit=${id}` },
          { method: "GET", path: `/v1/events/${id}` },
          { method: "GET", path: `/v1/events/${id}/runs` },
          { method: "POST", path: "/v1/events", body },
          { method: "POST", path: `/e/${authorized ? keys.eventKey : id}`, body },
          { method: "POST", path: "/fn/register", body },
          { method: "POST", path: `/v1/checkpoint/${id}/async`, body },
          { method: "DELETE", path: `/v1/apps/${id}x` },
          { method: "GET", path: `/v1/apps` },
          { method: "GET", path: "/health" },
        ];
        for (const p of probes) await engine(p, authorized);
      }
    }
  }, 600_000);

  it("200 creates at once from one organization, with and without one idempotency key: no 500", async () => {
    const statuses = async (body: (i: number) => unknown) =>
      Promise.all(Array.from({ length: 200 }, (_, i) => app({ method: "POST", path: "/api/jobs", body: json(body(i)) })));
    const keyed = await statuses(() => ({ type: "sync-analytics", payload: { minutes: 1 }, idempotencyKey: "burst-one" }));
    const plain = await statuses((i) => ({ type: "sync-analytics", payload: { minutes: 1 + (i % 5) } }));
    for (const s of [...plain, ...keyed]) expect([200, 202, 429, 503]).toContain(s);
    // One key, one job: the first create makes it, every other one finds it (or, over the limit, is told to wait).
    expect(keyed.filter((s) => s === 202).length).toBeLessThanOrEqual(1);
    expect(keyed.filter((s) => s === 202 || s === 200).length).toBeGreaterThanOrEqual(1);
  }, 300_000);

  it("a webhook reply cut inside an emoji is stored, and the job completes", async () => {
    const peer = await startHttpPeer((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
      res.end("😀".repeat(3000));
    });
    try {
      // The burst before this leaves the organization at its active-job limit for a while: a 429 means "wait".
      const created = await until(
        "a create that is not refused with 429",
        async () => {
          const res = await fetch(`${stack.baseUrl}/api/jobs`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: json({ type: "deliver-webhook", payload: { url: `${peer.url}/emoji` } }),
          });
          const body = (await res.json()) as { id?: string };
          return res.status !== 429 && body;
        },
        120_000,
        1_000,
      );
      expect(created.id, JSON.stringify(created)).toEqual(expect.any(String));
      const status = await until(
        "the webhook job ended",
        async () => {
          const st = ((await (await fetch(`${stack.baseUrl}/api/jobs/${created.id}/status`)).json()) as { status: string }).status;
          return ["COMPLETED", "FAILED"].includes(st) && st;
        },
        60_000,
        200,
      );
      expect(status).toBe("COMPLETED");
    } finally {
      await peer.close();
    }
  }, 240_000);

  it("a client that changes the embedded database's session does not break the app", async () => {
    const url = runningEmbeddedPostgresUrl(dataDir) as string;
    const psql = new pg.Client({ connectionString: url });
    await psql.connect();
    try {
      await psql.query("SET search_path TO nowhere");
      await psql.query("SET statement_timeout TO 1");
      expect(await app({ method: "POST", path: "/api/jobs", body: json({ type: "demo-task", payload: {} }) })).toBe(202);
      expect(await app({ method: "GET", path: "/api/jobs?limit=5" })).toBe(200);
    } finally {
      await psql.end();
    }
  });

  it("left no 5xx, no hang, no half-written row, and an engine that is healthy and takes events", async () => {
    const db = new pg.Client({ connectionString: runningEmbeddedPostgresUrl(dataDir) as string });
    await db.connect();
    try {
      const orphans = await db.query(
        `SELECT count(*)::int AS n FROM "Job" j WHERE NOT EXISTS (SELECT 1 FROM "OutboxEvent" o WHERE o.id = j."eventId")`,
      );
      expect(orphans.rows[0].n).toBe(0);
      // Each start event reached the engine once (the relay loop and the send after a create never both send it).
      const twice = await db.query(
        `SELECT id, count(*)::int AS n FROM engine.events WHERE id LIKE 'jobdeck-%' GROUP BY id HAVING count(*) > 1`,
      );
      expect(twice.rows).toEqual([]);
    } finally {
      await db.end();
    }
    const health = await fetch(`${stack.engineUrl}/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { status: string }).status).toBe("ok");
    const sent = await fetch(`${stack.engineUrl}/e/${keys.eventKey}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '[{"name":"fuzz/after","data":{}}]',
    });
    expect(sent.status).toBe(200);
    console.log(`fuzz: ${tried} inputs tried, ${failures.length} answered 5xx or hung (seed ${SEED}, ${RUNS} runs per route)`);
    expect(failures).toEqual([]);
  });
});
