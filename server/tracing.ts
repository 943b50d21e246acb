import { env } from "@/env";

/**
 * OpenTelemetry for the app process, when tracing is on (JOBDECK_EXTENDED_TRACES=1, or a collector in
 * OTEL_EXPORTER_OTLP_ENDPOINT): a tracer provider registered globally, with PostgreSQL and fetch (undici)
 * instrumented, exporting to the collector when there is one. The Inngest SDK's extended traces middleware
 * (inngest/client.ts) then adds its own processor to this provider, so the spans a function makes go to Inngest with
 * its run (the embedded engine nests them under their step) as well as to the collector.
 *
 * Started from instrumentation.ts before any route loads: the middleware looks for the provider when the client is
 * made.
 */
// Read from process.env, not env(): the Inngest client asks while `next build` collects its route, with no database.
export const tracingEnabled = (): boolean =>
  ["1", "true"].includes(process.env.JOBDECK_EXTENDED_TRACES ?? "") || Boolean(process.env.OTEL_EXPORTER_OTLP_ENDPOINT);

let started = false;

export async function startTracing(): Promise<void> {
  if (started || !tracingEnabled()) return;
  started = true;
  const [
    { NodeTracerProvider, BatchSpanProcessor },
    { resourceFromAttributes },
    { registerInstrumentations },
    { PgInstrumentation },
    { UndiciInstrumentation },
  ] = await Promise.all([
    import("@opentelemetry/sdk-trace-node"),
    import("@opentelemetry/resources"),
    import("@opentelemetry/instrumentation"),
    import("@opentelemetry/instrumentation-pg"),
    import("@opentelemetry/instrumentation-undici"),
  ]);
  const spanProcessors = [];
  if (env().OTEL_EXPORTER_OTLP_ENDPOINT) {
    const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-http");
    // The exporter reads OTEL_EXPORTER_OTLP_ENDPOINT (and _HEADERS, _TIMEOUT) itself and posts to <endpoint>/v1/traces.
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": process.env.OTEL_SERVICE_NAME || "jobdeck-app" }),
    spanProcessors,
  });
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    // The pool's connect/query spans only inside a traced step (requireParentSpan), not for every poll of the console.
    instrumentations: [new PgInstrumentation({ requireParentSpan: true }), new UndiciInstrumentation({ requireParentforSpans: true })],
  });
}
