import { freePort, sleep, until } from "@jobdeck/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChildEngine, startChildEngine } from "./support/child-engine.js";
import { databaseUrl, uniqueSchema } from "./support/harness.js";
import { createClient, startApp, type TestApp } from "./support/sdk-app.js";

/**
 * kill -9 at arbitrary moments: the engine restarts on the same database, every unfinished run resumes,
 * sleeps keep their deadlines, and no step whose result was recorded runs again.
 */
describe("crash recovery (SIGKILL)", () => {
  let port: number;
  let schema: string;
  let engine: ChildEngine | undefined;
  let app: TestApp;
  const executions = new Map<string, Array<{ start: number; end: number }>>();
  let release: (() => void) | undefined;
  const SLEEP_MS = 2000;

  const record = async <T>(key: string, fn: () => T | Promise<T>): Promise<T> => {
    const entry = { start: Date.now(), end: 0 };
    const list = executions.get(key) ?? [];
    list.push(entry);
    executions.set(key, list);
    const v = await fn();
    entry.end = Date.now();
    return v;
  };

  beforeAll(async () => {
    port = await freePort();
    schema = uniqueSchema("crash");
    const client = createClient("crash", `http://127.0.0.1:${port}`);
    app = await startApp(client, [
      client.createFunction({ id: "burst", triggers: [{ event: "c/burst" }] }, async ({ event, runId, step }) => {
        await step.run("a", () => record(`${runId}:a`, () => event.data.i));
        const before = await step.run("b", () => record(`${runId}:b`, () => Date.now()));
        await step.sleep("nap", `${SLEEP_MS / 1000}s`);
        const gap = await step.run("c", () => record(`${runId}:c`, () => Date.now() - before));
        return { gap };
      }),
      client.createFunction({ id: "held", triggers: [{ event: "c/held" }] }, async ({ runId, step }) => {
        await step.run("first", () => record(`${runId}:first`, () => 1));
        await step.run("blocked", () =>
          record(`${runId}:blocked`, () =>
            executions.get(`${runId}:blocked`)?.length === 1 ? new Promise<void>((r) => (release = r)) : undefined,
          ),
        );
        return "done";
      }),
    ]);
  });

  afterAll(async () => {
    release?.();
    await engine?.kill();
    await app?.close();
  });

  const start = async () => {
    engine = await startChildEngine({
      databaseUrl: databaseUrl(),
      schema,
      port,
      backoff: 100,
      resyncIntervalMs: 0,
      appUrls: [app.url],
      leaseTtlMs: 3000,
    });
    await until("app synced", async () => {
      const fns = await (await fetch(`${engine?.url}/v1/functions`)).json();
      return fns.data.length === 2;
    });
  };

  /** The engine as the previous test left it, or started now (each test can also run alone). */
  const ensureStarted = async () => {
    if (!engine || engine.proc.exitCode !== null || engine.proc.signalCode !== null) await start();
  };

  const runs = async (fn: string) => {
    const out: Array<{ run_id: string; status: string; output: unknown }> = [];
    let cursor: string | null = null;
    do {
      const res: { data: typeof out; cursor: string | null } = await (
        await fetch(`${engine?.url}/v1/runs?function_id=${fn}&limit=500${cursor ? `&cursor=${cursor}` : ""}`)
      ).json();
      out.push(...res.data);
      cursor = res.cursor;
    } while (cursor);
    return out;
  };

  it("resumes a burst killed mid-flight: all runs finish, recorded steps ran once, sleeps keep deadlines", async () => {
    await ensureStarted();
    const acked: number[] = [];
    const sender = (async () => {
      for (let i = 0; i < 150; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/e/key`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify([{ name: "c/burst", id: `burst-${i}`, data: { i } }]),
        }).catch(() => undefined);
        if (res?.status === 200) acked.push(i);
        await sleep(4); // paces the burst: events keep arriving while the engine is killed
      }
    })();
    // Killed mid-burst: once a good part of it is acknowledged (runs at every stage), not after a fixed time.
    await until("a burst under way", () => acked.length >= 40, 30_000, 5);
    const killedAt = Date.now();
    await engine?.kill("SIGKILL");
    await sender;
    await start();
    // Events not acknowledged (refused while down, or stored but killed before the answer) are sent again with the
    // same id, as a producer should: the id makes the resend start no second run.
    for (let i = 0; i < 150; i++) {
      if (acked.includes(i)) continue;
      const res = await fetch(`http://127.0.0.1:${port}/e/key`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify([{ name: "c/burst", id: `burst-${i}`, data: { i } }]),
      });
      expect(res.status).toBe(200);
    }
    const all = await until(
      "150 completed runs",
      async () => {
        const list = await runs("crash-burst");
        return list.length >= 150 && list.every((r) => r.status === "Completed") && list;
      },
      60_000,
      200,
    );
    expect(all).toHaveLength(150);
    // Sleeps: every run waited at least the sleep between b and c, including those sleeping across the crash.
    for (const r of all) expect((r.output as { gap: number }).gap).toBeGreaterThanOrEqual(SLEEP_MS - 50);
    // Steps: a repeat is only allowed for an execution that was in flight (not yet recorded) at the kill.
    let repeated = 0;
    for (const [key, list] of executions) {
      if (!/:(a|b|c)$/.test(key)) continue; // the burst's steps only (not the held run's)
      if (list.length > 1) {
        repeated++;
        expect(list.length, key).toBe(2);
        expect(list[0]?.end, `${key} finished long before the kill yet ran again`).toBeGreaterThan(killedAt - 100);
      }
    }
    expect(repeated).toBeLessThanOrEqual(20);
    expect(acked.length).toBeGreaterThan(0);
  });

  it("does not re-run a recorded step; re-runs only the step in flight at the kill", async () => {
    await ensureStarted();
    const before = await runs("crash-held");
    await fetch(`http://127.0.0.1:${port}/e/key`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([{ name: "c/held", data: {} }]),
    });
    const runId = await until("blocked step in flight", () => [...executions.keys()].find((k) => k.endsWith(":blocked"))?.split(":")[0]);
    await engine?.kill("SIGKILL");
    await start();
    const done = await until(
      "held run completed",
      async () => (await runs("crash-held")).find((r) => r.run_id === runId && r.status === "Completed"),
      30_000,
    );
    expect(done.output).toBe("done");
    expect(executions.get(`${runId}:first`)).toHaveLength(1);
    expect(executions.get(`${runId}:blocked`)).toHaveLength(2);
    expect((await runs("crash-held")).length).toBe(before.length + 1);
  });
});
