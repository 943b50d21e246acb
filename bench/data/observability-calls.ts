/**
 * The data benchmark's observability calls (bench/data/bench.ts): the runs explorer, the events page, one event, the
 * log search and the engine's own periodic reads, each timed as the app's service runs it against the embedded
 * engine, with the plan of the SQL behind it (the engine's statements captured as it would send them).
 */
import type pg from "pg";
import type { Scope } from "../../server/identity.js";

type Measure = (name: string, fn: () => Promise<unknown>, plan?: () => Promise<string>) => Promise<void>;

export interface ObservabilityBench {
  client: pg.Client;
  scope: Scope;
  measure: Measure;
  /** The plan of an app statement (Prisma SQL). */
  planOf: (query: never) => Promise<string>;
  /** The plan of a statement with pg parameters (the engine's). */
  sqlPlanOf: (sql: string, params: unknown[]) => Promise<string>;
}

/** The statement an engine store function would send, without sending it. */
async function captured(run: (pool: never) => Promise<unknown>): Promise<{ sql: string; params: unknown[] }> {
  let out: { sql: string; params: unknown[] } = { sql: "", params: [] };
  const pool = {
    query: async (sql: string, params: unknown[] = []) => {
      out = { sql, params };
      return { rows: [] };
    },
  };
  await run(pool as never);
  return out;
}

export async function measureObservability(b: ObservabilityBench): Promise<void> {
  const { listRuns } = await import("../../server/services/runs/list-runs.js");
  const { listEvents, getEvent } = await import("../../server/services/system/event-views.js");
  const { searchLogs, logSearchSql, parseLogQuery, areRareWords } = await import("../../server/services/logs/search-logs.js");
  const { selectEventsPage, selectRecentEvents } = await import("../../engine/src/store/events-sql.js");
  const { selectRunsPage } = await import("../../engine/src/store/runs-sql.js");
  const { Prisma } = await import("../../generated/prisma/client.js");
  const { scope, measure, planOf, sqlPlanOf } = b;
  const engineSql = async (run: (pool: never) => Promise<unknown>) => {
    const { sql, params } = await captured(run);
    return sqlPlanOf(sql, params);
  };
  const tenantRuns = { functionSlug: undefined, eventData: { orgId: scope.orgId } };

  await measure(
    "runs explorer, first page (organization)",
    () => listRuns(scope, false, {}),
    () => engineSql((pool) => selectRunsPage(pool, "engine", tenantRuns, 50)),
  );
  await measure(
    "runs explorer ?status=failed (organization)",
    () => listRuns(scope, false, { status: ["failed"] }),
    () => engineSql((pool) => selectRunsPage(pool, "engine", { ...tenantRuns, statuses: ["failed"] }, 50)),
  );
  const page = await listRuns(scope, false, {});
  const runIds = page.runs.map((r) => r.run_id);
  const { db } = await import("../../server/db.js");
  await measure(
    "runs explorer: the page's jobs by runId",
    () => db().job.findMany({ where: { runId: { in: runIds }, orgId: scope.orgId }, select: { id: true, runId: true } }),
    () => planOf(Prisma.sql`SELECT "id", "runId" FROM "Job" WHERE "runId" = ANY(${runIds}) AND "orgId" = ${scope.orgId}` as never),
  );
  await measure(
    "runs explorer, first page (operator, every organization)",
    () => listRuns(scope, true, {}),
    () => engineSql((pool) => selectRunsPage(pool, "engine", {}, 50)),
  );
  await measure(
    "events page (organization)",
    () => listEvents(scope, false),
    () => engineSql((pool) => selectEventsPage(pool, "engine", { tenant: scope.orgId, summary: true }, 200)),
  );
  const events = await listEvents(scope, false, 50);
  const someEvent = events[Math.floor(events.length / 2)]?.internal_id as string;
  await measure("one event with its data", () => getEvent(scope, false, someEvent));
  for (const [what, q] of [
    ["newest", ""],
    ["a rare word", "quetzal"],
    ["a common word", "working"],
    ["level:error", "level:error"],
  ] as const) {
    await measure(
      `log search, ${what} (organization)`,
      () => searchLogs(scope, false, { q }),
      async () => {
        const query = parseLogQuery(q);
        const rare = query.words ? await areRareWords(query.words) : false;
        return planOf(logSearchSql(scope, false, query, undefined, 100, rare) as never);
      },
    );
  }
  const { renderMetrics } = await import("../../server/services/metrics/app-metrics.js");
  await measure(
    "GET /api/metrics (a Prometheus scrape)",
    () => renderMetrics(),
    () =>
      planOf(
        Prisma.sql`SELECT "type", "name", "label", sum("value")::int8 AS value FROM "JobMetric" GROUP BY "type", "name", "label"` as never,
      ),
  );
  const { listAudit } = await import("../../server/services/audit/list-audit.js");
  await measure("audit trail, first page (organization)", () => listAudit(scope, false, {}));
  await measure(
    "engine: events received in the last hour (recovery at start)",
    () => selectRecentEvents(b.client as never, "engine", Date.now() - 3_600_000),
    () => engineSql((pool) => selectRecentEvents(pool, "engine", Date.now() - 3_600_000)),
  );
}
