import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { EngineContext } from "../context.js";
import { acceptedBearers } from "../protocol/signing.js";

const digest = (s: string) => createHash("sha256").update(s).digest();

/** Whether `header` is one of `accepted`, compared in constant time (of their digests). */
function oneOf(header: string, accepted: string[]): boolean {
  const given = digest(header);
  return accepted.reduce((ok, a) => timingSafeEqual(given, digest(a)) || ok, false);
}

/** Sets the gauges read from the engine's state at scrape time (the counters and histograms count as things happen). */
function readGauges(ctx: EngineContext): void {
  const { metrics } = ctx.stats;
  const q = ctx.scheduler.counts;
  const scheduled = Math.max(0, q.total - q.ready - q.inFlight - q.blocked - q.parked);
  metrics.queueDepth.set(q.ready + q.blocked + q.inFlight);
  for (const [state, n] of [
    ["in_flight", q.inFlight],
    ["ready", q.ready],
    ["waiting_for_slot", q.blocked],
    ["paused", q.parked],
    ["scheduled", scheduled],
  ] as const) {
    metrics.queueItems.set({ state }, n);
  }
  metrics.appReachable.reset();
  const apps = new Set(
    ctx.registry
      .all()
      .filter((f) => !f.archived)
      .map((f) => f.appId),
  );
  for (const app of apps) metrics.appReachable.set({ app }, ctx.availability.isHeld(app) ? 0 : 1);
}

/**
 * GET /metrics: Prometheus text. It wants `Authorization: Bearer <token>`: the metrics token (`--metrics-token`,
 * METRICS_TOKEN; the launcher makes one per installation), or the signing key as self-hosted Inngest's /metrics takes
 * it. With neither configured it answers 401 saying how to turn it on, so nothing is published by accident.
 */
export function metricsRoutes(app: FastifyInstance, ctx: EngineContext): void {
  const accepted = [...(ctx.opts.metricsToken ? [`Bearer ${ctx.opts.metricsToken}`] : []), ...acceptedBearers(ctx.opts)];
  app.get("/metrics", async (req, reply) => {
    if (accepted.length === 0) {
      return reply
        .code(401)
        .send({ error: "metrics are off: give the engine --metrics-token (METRICS_TOKEN) or a signing key", status: 401 });
    }
    if (!oneOf(String(req.headers.authorization ?? ""), accepted)) {
      return reply
        .code(401)
        .send({ error: "unauthorized: /metrics needs Authorization: Bearer <metrics token or signing key>", status: 401 });
    }
    readGauges(ctx);
    const { registry } = ctx.stats.metrics;
    return reply.header("content-type", registry.contentType).send(await registry.metrics());
  });
}
