import { createHash, timingSafeEqual } from "node:crypto";
import { collectDefaultMetrics, Registry } from "prom-client";
import { env } from "@/env";
import { AppError } from "../../errors";
import { renderFamily } from "./exposition";
import { jobFamilies } from "./job-metrics";

/**
 * GET /api/metrics: this process's own metrics (prom-client's defaults: CPU, memory, event loop lag, GC) and the
 * installation's job metrics read from the database (job-metrics.ts), in Prometheus's text format.
 */

const globalForMetrics = globalThis as unknown as { jobdeckProcessMetrics?: Registry };

/** One registry per process (a dev server's reloads reuse it rather than registering the metrics twice). */
function processRegistry(): Registry {
  if (!globalForMetrics.jobdeckProcessMetrics) {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: "jobdeck_app_" });
    // Gauges prom-client names like counters (promtool refuses a `_total` gauge); the unsuffixed ones stay.
    for (const name of ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"]) {
      registry.removeSingleMetric(`jobdeck_app_${name}`);
    }
    globalForMetrics.jobdeckProcessMetrics = registry;
  }
  return globalForMetrics.jobdeckProcessMetrics;
}

export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

const digest = (s: string) => createHash("sha256").update(s).digest();

/**
 * The caller must send `Authorization: Bearer <METRICS_TOKEN>` (compared in constant time). With no token
 * configured the endpoint is off: 401 saying so, never the installation's numbers to whoever asks.
 */
export function checkMetricsToken(authorization: string | null): void {
  const token = env().METRICS_TOKEN;
  if (!token)
    throw new AppError("UNAUTHORIZED", "metrics are off: set METRICS_TOKEN (npm start and npm run dev make one in the keys file)");
  if (!timingSafeEqual(digest(authorization ?? ""), digest(`Bearer ${token}`))) {
    throw new AppError("UNAUTHORIZED", "metrics need Authorization: Bearer <METRICS_TOKEN>");
  }
}

export async function renderMetrics(): Promise<string> {
  const families = await jobFamilies({ topOrganizations: env().METRICS_TOP_ORGS });
  return `${await processRegistry().metrics()}\n${families.map(renderFamily).join("\n")}`;
}
