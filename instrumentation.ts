/**
 * Next.js calls register() once when a server process starts. In the Node.js runtime it starts tracing when it is
 * on (server/tracing.ts) and the outbox relay loop, which delivers job events that could not be sent when the job was
 * created (Inngest down or slow).
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  // First: the tracer provider must exist before the Inngest client (its traces middleware) is made.
  const { startTracing } = await import("./server/tracing");
  await startTracing();
  const { env } = await import("./env");
  const { startOutboxRelay } = await import("./server/services/outbox/relay-outbox");
  startOutboxRelay(env().OUTBOX_RELAY_INTERVAL_MS, (err) => console.error("outbox relay pass failed:", err));
  // The plans' weights for the engine's fair scheduler, once the server is up (best effort; the cron repeats it).
  const { syncWeights } = await import("./server/services/plans/push-weights");
  setTimeout(() => void syncWeights().catch(() => undefined), 2_000).unref();
}
