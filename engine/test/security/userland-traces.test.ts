import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../src/engine.js";
import { parseOtlpTraces } from "../../src/protocol/otlp-json.js";
import { hashSigningKey } from "../../src/protocol/signing.js";
import { insertSpans } from "../../src/store/spans-sql.js";
import { endedRunsOf, type Rig, rig, startEngine } from "../support/harness.js";

const KEY = "signkey-test-00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

const hex = (bytes: number) => randomBytes(bytes).toString("hex");
const str = (key: string, stringValue: string) => ({ key, value: { stringValue } });

/** One span of `runId` as the SDK's exporter writes it (OTLP/JSON), with fields replaced or added by `extra`. */
function span(runId: string, extra: Record<string, unknown> = {}) {
  return {
    traceId: hex(16),
    spanId: hex(8),
    name: "probe",
    kind: 1,
    startTimeUnixNano: "1700000000000000000",
    endTimeUnixNano: "1700000000001500000",
    attributes: [str("sdk.run.id", runId)],
    status: { code: 0 },
    ...extra,
  };
}
const request = (...spans: unknown[]) => ({
  resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: "t" }, spans }] }],
});

async function send(engine: Engine, body: unknown, headers: Record<string, string> = {}) {
  const raw = typeof body === "string" ? body : Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body);
  const res = await fetch(`${engine.url}/v1/traces/userland`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: raw,
  });
  const text = await res.text();
  let json: any = text;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, json };
}

/**
 * POST /v1/traces/userland takes what the SDK's exporter sends and nothing else: a wrong shape, a wrong encoding, a
 * body too big or a caller without the key is a 4xx (never a 500, never a status the exporter retries) and stores
 * nothing; what is kept is bounded.
 */
describe("userland traces: hostile input", () => {
  let r: Rig;
  let runId: string;
  beforeAll(async () => {
    r = await rig("uth", (inngest) => [inngest.createFunction({ id: "f", triggers: [{ event: "uth/go" }] }, async () => "ok")]);
    const { ids } = await r.client.send({ name: "uth/go", data: {} });
    const [run] = await endedRunsOf(r.engine, "uth-f", ids);
    runId = run?.run_id as string;
  });
  afterAll(async () => r?.stop());

  const spansOfRun = async () => (await r.engine.api.runs.get(runId)).data.spans;

  it("refuses bodies of the wrong shape with a 400 naming where, and stores none of the request", async () => {
    const good = span(runId);
    const cases: Array<[unknown, RegExp]> = [
      ["{nope", /body is not JSON/],
      [[], /body: must be an OTLP ExportTraceServiceRequest/],
      ['"spans"', /body: must be/],
      ["null", /body: must be/],
      [{ resourceSpans: "x" }, /resourceSpans: must be an array/],
      [{ resourceSpans: [7] }, /resourceSpans\[0\]: must be an object/],
      [{ resourceSpans: [{ scopeSpans: [{ spans: {} }] }] }, /spans: must be an array/],
      [request(good, span(runId, { traceId: "zz" })), /spans\[1\]\.traceId: must be 32 hex digits/],
      [request(good, span(runId, { spanId: "abc" })), /spanId: must be 16 hex digits/],
      [request(good, span(runId, { parentSpanId: 5 })), /parentSpanId: must be 16 hex digits/],
      [request(good, span(runId, { startTimeUnixNano: "soon" })), /startTimeUnixNano: must be nanoseconds/],
      [request(good, span(runId, { endTimeUnixNano: "99999999999999999999" })), /endTimeUnixNano/],
      [request(good, span(runId, { kind: 9 })), /kind: must be one of/],
      [request(good, span(runId, { name: { evil: true } })), /name: must be a string/],
      [request(good, span(runId, { status: "bad" })), /status: must be an object/],
      [request(good, span(runId, { attributes: [{ key: "a", value: 5 }] })), /attributes\[0\]\.value: an attribute value must be/],
      [request(good, span(runId, { attributes: "a=b" })), /attributes: must be an array/],
      [request(good, span(runId, { attributes: [{ key: "a", value: { intValue: "1.5" } }] })), /intValue must be an integer/],
      [request(good, span(runId, { events: [{ name: "e", timeUnixNano: "x" }] })), /events\[0\]\.timeUnixNano/],
      [request(null), /spans\[0\]: a span must be an object/],
    ];
    for (const [body, message] of cases) {
      const res = await send(r.engine, body);
      expect(res.status, JSON.stringify(body).slice(0, 120)).toBe(400);
      expect(res.json.error).toMatch(message);
    }
    expect(await spansOfRun()).toEqual([]);
  });

  it("refuses other media types and encodings with a 415 before reading the body", async () => {
    const body = JSON.stringify(request(span(runId)));
    for (const headers of <Array<Record<string, string>>>[
      { "content-type": "application/x-protobuf" },
      { "content-type": "text/plain" },
      { "content-type": "application/x-www-form-urlencoded" },
      { "content-encoding": "br" },
      { "content-encoding": "deflate" },
    ]) {
      const res = await send(r.engine, body, headers);
      expect(res.status, JSON.stringify(headers)).toBe(415);
    }
    expect((await send(r.engine, body, { "content-type": "application/x-protobuf" })).json.error).toMatch(/send OTLP\/HTTP JSON/);
    expect(await spansOfRun()).toEqual([]);
  });

  it("refuses bodies over 8 MB, inflated ones too, and more than 10,000 spans (413); bad gzip is a 400", async () => {
    const big = JSON.stringify({ resourceSpans: [], pad: "x".repeat(9 * 1024 * 1024) });
    expect((await send(r.engine, big)).status).toBe(413);
    const bomb = gzipSync(Buffer.from(big));
    expect(bomb.length).toBeLessThan(100_000);
    expect((await send(r.engine, bomb, { "content-encoding": "gzip" })).status).toBe(413);
    expect((await send(r.engine, "not gzip at all", { "content-encoding": "gzip" })).json.error).toMatch(/not gzip data/);
    const many = request(...Array.from({ length: 10_001 }, () => span(runId)));
    const res = await send(r.engine, many);
    expect(res.status).toBe(413);
    expect(res.json.error).toMatch(/more than 10000 spans/);
    expect(await spansOfRun()).toEqual([]);
  });

  it("counts spans it cannot place as rejected (200: the SDK must not retry) and keeps none of them", async () => {
    const unknownRun = "01J00000000000000000000000";
    const res = await send(
      r.engine,
      request(
        span(runId, { attributes: [] }), // no sdk.run.id
        span(unknownRun, { attributes: [str("sdk.run.id", unknownRun)] }),
        span("not-a-run-id"),
        span(runId, { startTimeUnixNano: "1700000000002000000", endTimeUnixNano: "1700000000001000000" }),
      ),
    );
    expect(res.status).toBe(200);
    expect(res.json.partialSuccess.rejectedSpans).toBe(4);
    expect(await spansOfRun()).toEqual([]);
  });

  it("keeps a span's attributes bounded, and strings jsonb cannot hold exactly", async () => {
    const attributes = [
      str("sdk.run.id", runId),
      str("nul", "a\u0000b"),
      str("half", "x\ud800y"),
      str("__proto__", "not a prototype"),
      ...Array.from({ length: 300 }, (_, i) => str(`k${i}`, "v".repeat(10_000))),
    ];
    let deep: unknown = { stringValue: "bottom" };
    for (let i = 0; i < 50; i++) deep = { kvlistValue: { values: [{ key: "d", value: deep }] } };
    const gzipped = gzipSync(
      JSON.stringify(
        request(
          span(runId, { name: "n".repeat(5000), attributes }),
          span(runId, { attributes: [...attributes.slice(0, 1), { key: "deep", value: deep }] }),
        ),
      ),
    );
    const res = await send(r.engine, gzipped, { "content-encoding": "gzip" });
    expect(res).toEqual({ status: 200, json: { partialSuccess: {} } });
    const spans = await spansOfRun();
    expect(spans).toHaveLength(2);
    const wide = spans.find((s) => s.name.length > 100);
    expect(wide?.name.length).toBe(1024);
    expect(wide?.attributes.nul).toBe("a\u0000b");
    expect(wide?.attributes.half).toBe("x\ud800y");
    expect(Object.getPrototypeOf(wide?.attributes)).toBe(Object.prototype);
    expect(Object.keys(wide?.attributes ?? {}).length).toBeLessThanOrEqual(128);
    expect(JSON.stringify(wide?.attributes).length).toBeLessThan(40_000);
    const narrow = spans.find((s) => s !== wide);
    expect(JSON.stringify(narrow?.attributes)).toMatch(/^\{"deep":\{"d":\{"d":\{"d":\{"d":null\}\}\}\}\}$/);
  });

  it("keeps at most the per-run number of spans, and a span sent twice once", async () => {
    const { ids } = await r.client.send({ name: "uth/go", data: {} });
    const [run] = await endedRunsOf(r.engine, "uth-f", ids);
    const other = run?.run_id as string;
    const { pool, s } = r.engine.ctx;
    const twice = span(other);
    const { spans } = parseOtlpTraces(request(twice, twice, span(other), span(other)));
    expect(await insertSpans(pool, s, spans, 2)).toBe(2);
    expect(await insertSpans(pool, s, parseOtlpTraces(request(span(other))).spans, 2)).toBe(0);
    expect(await insertSpans(pool, s, parseOtlpTraces(request(span(other))).spans, 3)).toBe(1);
    expect((await r.engine.api.runs.get(other)).data.spans).toHaveLength(3);
  });

  it("still serves after all of it", async () => {
    expect((await fetch(`${r.engine.url}/health`)).status).toBe(200);
    const { ids } = await r.client.send({ name: "uth/go", data: {} });
    expect((await endedRunsOf(r.engine, "uth-f", ids))[0]?.status).toBe("Completed");
  });
});

describe("userland traces: the signing key", () => {
  it.each([
    ["keys required", { requireKeys: true, eventKeys: ["evt"] }],
    ["signing only", {}],
  ])("with %s, refuses callers without the key (401) and takes it raw or hashed", async (_name, extra) => {
    const engine = await startEngine({ signingKey: KEY, ...extra });
    try {
      const body = request(span("01J00000000000000000000000"));
      expect((await send(engine, body)).status).toBe(401);
      expect((await send(engine, body, { authorization: "Bearer" })).status).toBe(401);
      expect((await send(engine, body, { authorization: `Bearer ${hashSigningKey(KEY.replace("0011", "9911"))}` })).status).toBe(401);
      const unauthorized = await send(engine, body, { authorization: "Bearer nope" });
      expect(unauthorized.json.error).toMatch(/unauthorized/);
      for (const token of [hashSigningKey(KEY), KEY]) {
        const res = await send(engine, body, { authorization: `Bearer ${token}` });
        expect(res).toEqual({ status: 200, json: { partialSuccess: { rejectedSpans: 1, errorMessage: expect.any(String) } } });
      }
    } finally {
      await engine.stop(1000);
    }
  });
});
