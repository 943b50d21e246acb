import { afterEach, describe, expect, it } from "vitest";
import { databaseKind, databaseUrl, endedRunsOf, type Rig, rig } from "../support/harness.js";

/**
 * The journal's flush statement goes as a named prepared statement (store/journal.ts, @jobdeck/pg-prepared): parsed
 * and planned once per connection. On PGlite, which serves every connection in one session, a second connection's
 * prepare of the same name is refused and flushes go unnamed from then on; behind `?pgbouncer=true` nothing is named.
 * Whatever way they go, every run's rows are written.
 */
describe("the journal's flushes as prepared statements", () => {
  let r: Rig | undefined;
  afterEach(async () => {
    await r?.stop();
    r = undefined;
  });

  const start = (url?: string) =>
    rig(
      "prepared",
      (inngest) => [
        inngest.createFunction({ id: "one", triggers: [{ event: "prepared/go" }] }, async ({ event, step }) => {
          return step.run("double", () => Number(event.data.n) * 2);
        }),
      ],
      url ? { databaseUrl: url } : {},
    );

  /** Sends events one at a time (each its own flush), then waits for their runs and checks their outputs. */
  async function runOneByOne(count: number): Promise<void> {
    const ids: string[] = [];
    for (let n = 0; n < count; n++) ids.push(...(await (r as Rig).client.send({ name: "prepared/go", data: { n } })).ids);
    const runs = await endedRunsOf((r as Rig).engine, "prepared-one", ids, 30_000);
    expect(runs.map((run) => run.status)).toEqual(Array(count).fill("Completed"));
    expect(runs.map((run) => run.output).sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: count }, (_, n) => n * 2));
  }

  it("names the flush statements and writes every run", async () => {
    r = await start();
    await runOneByOne(20);
    const prepared = r.engine.ctx.journal.preparedFlushes;
    expect(prepared.named).toBeGreaterThan(0);
    // PostgreSQL keeps each connection's statements; PGlite's one session refuses a second connection's prepare.
    if (databaseKind() === "pg") expect(prepared.enabled).toBe(true);
  });

  it("names nothing behind a pooler announced with ?pgbouncer=true, and still writes every run", async () => {
    const url = new URL(databaseUrl());
    url.searchParams.set("pgbouncer", "true");
    r = await start(url.toString());
    await runOneByOne(10);
    expect(r.engine.ctx.journal.preparedFlushes).toEqual({ enabled: false, named: 0 });
  });
});
