import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { context, trace } from "@opentelemetry/api";
import { registerInstrumentations } from "@opentelemetry/instrumentation";
import { UndiciInstrumentation } from "@opentelemetry/instrumentation-undici";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";

/**
 * OpenTelemetry in a test app as the SDK's `extendedTracesMiddleware({ behaviour: "extendProvider" })` needs it: a
 * global tracer provider registered before the middleware is made, with the AsyncLocalStorage context manager (so
 * `startActiveSpan` nests), and the undici instrumentation (spans of `fetch`). No propagator is registered: the
 * engine runs in the same process in these tests, and its own requests to the app must keep the engine's traceparent.
 * Call `stop()` after the suite: the provider is process-global.
 */
export function startAppTracing(serviceName: string) {
  const provider = new NodeTracerProvider({ resource: resourceFromAttributes({ "service.name": serviceName }) });
  provider.register({ propagator: null });
  // Only a fetch made inside a span gets one (not the engine's own requests, which run here too).
  const off = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [new UndiciInstrumentation({ requireParentforSpans: true })],
  });
  return {
    provider,
    async stop() {
      off();
      trace.disable();
      context.disable();
      await provider.shutdown();
    },
  };
}

/** A span as an OTLP/JSON receiver got it, with its resource's and scope's names beside it. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  status?: { code?: number; message?: string };
  attributes: Record<string, unknown>;
  service: unknown;
  scope: string;
}

const plain = (v: any): unknown => v?.stringValue ?? v?.intValue ?? v?.doubleValue ?? v?.boolValue ?? v;
const attrs = (list: any[] | undefined) => Object.fromEntries((list ?? []).map((kv) => [kv.key, plain(kv.value)]));

/** A plain OTLP/HTTP JSON collector: keeps every `POST /v1/traces` and answers 200. */
export async function startOtlpReceiver() {
  const requests: Array<{ path: string; headers: IncomingHttpHeaders; body: unknown }> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const text = (req.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw).toString("utf8");
      requests.push({ path: req.url ?? "", headers: req.headers, body: JSON.parse(text || "{}") });
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    requests,
    /** Every span received so far. */
    spans(): ReceivedSpan[] {
      return requests.flatMap(({ body }: any) =>
        (body.resourceSpans ?? []).flatMap((rs: any) =>
          (rs.scopeSpans ?? []).flatMap((ss: any) =>
            (ss.spans ?? []).map((s: any) => ({
              ...s,
              attributes: attrs(s.attributes),
              service: attrs(rs.resource?.attributes)["service.name"],
              scope: ss.scope?.name,
            })),
          ),
        ),
      );
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
