import type { Resource } from "@opentelemetry/resources";
import { describe, expect, it } from "vitest";
import { spanViews } from "../../src/api/span-view.js";
import { otlpTracesEndpoint, resolveOptions } from "../../src/options.js";
import { parseOtlpTraces } from "../../src/protocol/otlp-json.js";
import { derivedSpanId, runTraceId, traceHeaders } from "../../src/protocol/trace-context.js";
import { runTraceSpans, type SpanOrigins } from "../../src/runs/trace-spans.js";
import type { SpanRow } from "../../src/store/spans-sql.js";
import { ulidTime } from "../../src/util/ulid.js";

const RUN = "01J9Z3K4M5N6P7Q8R9S0T1V2W3";

describe("trace context on execution requests", () => {
  it("derives the trace id from the run id: a ULID's own 128 bits, a hash otherwise, never all zeros", () => {
    expect(runTraceId(RUN)).toMatch(/^[0-9a-f]{32}$/);
    expect(runTraceId(RUN)).toBe(runTraceId(RUN.toLowerCase()));
    // The first 48 bits are the ULID's time: the trace id says when the run was made.
    expect(Number.parseInt(runTraceId(RUN).slice(0, 12), 16)).toBe(ulidTime(RUN));
    expect(runTraceId("00000000000000000000000000")).toBe(`${"0".repeat(31)}1`);
    expect(runTraceId("not-a-ulid")).toMatch(/^[0-9a-f]{32}$/);
    expect(runTraceId("not-a-ulid")).not.toBe(runTraceId("not-a-ulid-2"));
    expect(derivedSpanId("x")).toMatch(/^[0-9a-f]{16}$/);
    expect(derivedSpanId("x")).toBe(derivedSpanId("x"));
  });

  it("sends traceparent with a span per request and tracestate as the SDK splits it", () => {
    const a = traceHeaders(RUN, "my app", "my-app-fn,=x");
    const b = traceHeaders(RUN, "my app", "my-app-fn,=x");
    expect(a.traceparent).toMatch(new RegExp(`^00-${runTraceId(RUN)}-[0-9a-f]{16}-01$`));
    expect(a.traceparent).not.toBe(b.traceparent);
    expect(a.tracestate).toBe("inngest@app=my%20app,inngest@fn=my-app-fn%2C%3Dx");
    const entries = Object.fromEntries(a.tracestate.split(",").map((kv) => kv.split("=")));
    expect(entries).toEqual({ "inngest@app": "my%20app", "inngest@fn": "my-app-fn%2C%3Dx" });
  });
});

const kv = (key: string, value: unknown) => ({ key, value });
const spanOf = (spanId: string, name: string, extra: Record<string, unknown> = {}) => ({
  traceId: "4427f1ca4427f1ca4427f1ca4427f1ca",
  spanId,
  name,
  startTimeUnixNano: "1700000000000000000",
  endTimeUnixNano: "1700000000000250000",
  ...extra,
});

describe("reading OTLP/JSON", () => {
  const runAttr = kv("sdk.run.id", { stringValue: RUN });
  const body = {
    resourceSpans: [
      {
        resource: { attributes: [kv("service.name", { stringValue: "shop" })] },
        scopeSpans: [
          {
            scope: { name: "inngest", version: "4.24.0" },
            spans: [spanOf("aaaaaaaaaaaaaaaa", "inngest.execution", { attributes: [runAttr] })],
          },
          {
            scope: { name: "app" },
            spans: [
              spanOf("bbbbbbbbbbbbbbbb", "outside-step", { parentSpanId: "aaaaaaaaaaaaaaaa", attributes: [runAttr] }),
              spanOf("cccccccccccccccc", "in-step", {
                parentSpanId: "9999999999999999",
                kind: "SPAN_KIND_CLIENT",
                status: { code: "STATUS_CODE_ERROR", message: "boom" },
                attributes: [
                  runAttr,
                  kv("inngest.step.hash", { stringValue: "ab12" }),
                  kv("inngest.step.attempt", { intValue: "2" }),
                  kv("inngest.step.parentSpanId", { stringValue: "1234123412341234" }),
                  kv("big", { intValue: "9007199254740993" }),
                  kv("list", { arrayValue: { values: [{ boolValue: true }, { doubleValue: 1.5 }] } }),
                ],
              }),
              spanOf("dddddddddddddddd", "child", { parentSpanId: "cccccccccccccccc", attributes: [runAttr] }),
            ],
          },
        ],
      },
    ],
  };

  it("drops the SDK's wrapper, puts its children in its place, and reads the step and the values", () => {
    const { spans, rejected } = parseOtlpTraces(body);
    expect(rejected).toBe(0);
    expect(spans.map((s) => [s.name, s.parentSpanId])).toEqual([
      ["outside-step", null],
      ["in-step", null],
      ["child", "cccccccccccccccc"],
    ]);
    const inStep = spans[1];
    expect(inStep).toMatchObject({
      stepHash: "ab12",
      attempt: 2,
      kind: 3,
      status: "error",
      statusMessage: "boom",
      service: "shop",
      scope: "app",
    });
    expect(inStep?.attributes).toEqual({ big: "9007199254740993", list: [true, 1.5] });
    expect(spans[0]).toMatchObject({ stepHash: null, attempt: null, startNs: "1700000000000000000" });
  });

  it("shows spans whose parent never arrived as made in their step", () => {
    const row = (span_id: string, parent_span_id: string | null): SpanRow => ({
      run_id: RUN,
      span_id,
      trace_id: "t",
      parent_span_id,
      step_hash: "ab12",
      attempt: 0,
      name: span_id,
      kind: 1,
      start_ns: "1700000000000000000",
      end_ns: "1700000000000123456",
      status: "ok",
      status_message: null,
      scope: null,
      scope_version: null,
      service: null,
      attributes: {},
      events: [],
    });
    const views = spanViews([row("a", "lost"), row("b", "a")]);
    expect(views.map((v) => [v.span_id, v.parent_span_id])).toEqual([
      ["a", null],
      ["b", "a"],
    ]);
    expect(views[0]).toMatchObject({ duration_ms: 0.123, started_at: "2023-11-14T22:13:20.000Z", kind: "internal" });
  });
});

describe("a run as OTLP spans", () => {
  const resource = (name: string) => ({ attributes: { "service.name": name } }) as unknown as Resource;
  const origins: SpanOrigins = { engine: resource("engine"), app: resource, scope: { name: "jobdeck-engine" } };

  it("is a root span, a span per trace entry under it, and userland spans under their step attempt", () => {
    const source: Parameters<typeof runTraceSpans>[0] = {
      run: {
        id: RUN,
        function_slug: "app-fn",
        status: "completed",
        event_ids: ["E1"],
        events: [{ id: "E1", name: "go", data: {}, user: {}, ts: 1 }],
        batch_id: null,
        created_at: "1700000000000",
        started_at: "1700000000010",
        ended_at: "1700000000500",
        output: 1,
        error: null,
        replay_of: null,
        cancel_reason: null,
        priority: 0,
        parent: null,
      },
      appId: "app",
      history: [
        {
          id: "H0",
          run_id: RUN,
          kind: "step",
          step_hash: "ab12",
          step_name: "s",
          attempt: 0,
          status: "errored",
          started_at: "1700000000020",
          ended_at: "1700000000030",
          error: { name: "Error", message: "first" },
        },
        {
          id: "H1",
          run_id: RUN,
          kind: "step",
          step_hash: "ab12",
          step_name: "s",
          attempt: 1,
          status: "completed",
          started_at: "1700000000100",
          ended_at: "1700000000200",
        },
        { id: "H2", run_id: RUN, kind: "metadata", step_hash: null, attempt: 0, status: "completed", started_at: "1700000000300" },
      ],
      spans: [
        { ...baseSpan, span_id: "1111111111111111", step_hash: "ab12", attempt: 1, name: "u" },
        { ...baseSpan, span_id: "2222222222222222", parent_span_id: "1111111111111111", step_hash: "ab12", attempt: 1, name: "v" },
        { ...baseSpan, span_id: "3333333333333333", name: "w" },
      ],
    };
    const spans = runTraceSpans(source, origins);
    const by = (name: string) => spans.find((s) => s.name === name);
    const root = by("app-fn");
    expect(spans.every((s) => s.spanContext().traceId === runTraceId(RUN))).toBe(true);
    expect(root?.parentSpanContext).toBeUndefined();
    expect(root?.attributes).toMatchObject({ "inngest.run.id": RUN, "inngest.event.name": "go", "inngest.app.id": "app" });
    const attempts = spans.filter((s) => s.name === "s");
    expect(attempts.map((s) => s.status)).toEqual([{ code: 2, message: "Error: first" }, { code: 1 }]);
    expect(attempts.every((s) => s.parentSpanContext?.spanId === root?.spanContext().spanId)).toBe(true);
    expect(by("u")?.parentSpanContext?.spanId).toBe(attempts[1]?.spanContext().spanId);
    expect(by("v")?.parentSpanContext?.spanId).toBe(by("u")?.spanContext().spanId);
    expect(by("w")?.parentSpanContext?.spanId).toBe(root?.spanContext().spanId);
    expect(by("u")?.resource).toMatchObject({ attributes: { "service.name": "shop" } });
    expect(by("u")?.startTime).toEqual([1700000000, 5]);
    expect(spans).toHaveLength(6); // the metadata entry is no span
    // Exported again, the same ids.
    const ids = (list: typeof spans) => list.map((s) => [s.spanContext().spanId, s.parentSpanContext?.spanId]);
    expect(ids(runTraceSpans(source, origins))).toEqual(ids(spans));
  });
});

const baseSpan: SpanRow = {
  run_id: RUN,
  span_id: "",
  trace_id: "4427f1ca4427f1ca4427f1ca4427f1ca",
  parent_span_id: null,
  step_hash: null,
  attempt: null,
  name: "",
  kind: 1,
  start_ns: "1700000000000000005",
  end_ns: "1700000000000000900",
  status: "unset",
  status_message: null,
  scope: "app",
  scope_version: null,
  service: "shop",
  attributes: {},
  events: [],
};

describe("the OTLP endpoint", () => {
  it("is read from OpenTelemetry's variables: the traces URL as it is, or the base URL with /v1/traces", () => {
    expect(otlpTracesEndpoint({})).toBeUndefined();
    expect(otlpTracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318/" })).toBe("http://c:4318/v1/traces");
    expect(otlpTracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://t/x" })).toBe(
      "http://t/x",
    );
    expect(otlpTracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_SDK_DISABLED: "true" })).toBeUndefined();
  });

  it("must be an http(s) URL, checked when the engine is made", () => {
    expect(resolveOptions({ databaseUrl: "x" }).otlpTracesUrl).toBeUndefined();
    expect(resolveOptions({ databaseUrl: "x", otlpTracesUrl: "https://c/v1/traces" }).otlpTracesUrl).toBe("https://c/v1/traces");
    expect(() => resolveOptions({ databaseUrl: "x", otlpTracesUrl: "collector:4318" })).toThrow(/not an http\(s\) URL/);
    expect(() => resolveOptions({ databaseUrl: "x", otlpTracesUrl: "not a url" })).toThrow(/not a URL/);
  });
});
