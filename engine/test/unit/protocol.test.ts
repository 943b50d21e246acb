import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { appUnreachable, classify, fatalUpstreamError, parseRetryAfter } from "../../src/protocol/response.js";
import { appRedirectTarget } from "../../src/protocol/sdk-client.js";
import { canonicalJson, hashSigningKey, sign, verify } from "../../src/protocol/signing.js";

/** protocol/: signing, redirects from an app, and what an SDK answer means (done, ops, an error, the app away). */

const NOW = Date.parse("2030-01-01T00:00:00Z");

describe("signing", () => {
  const key = "signkey-test-00112233445566778899aabbccddeeff";
  it("signs canonical JSON and verifies with the fallback key", () => {
    const body = canonicalJson({ b: 1, a: [2, { d: 1, c: "é" }] });
    expect(body).toBe('{"a":[2,{"c":"é","d":1}],"b":1}');
    const header = sign(body, key);
    expect(verify(body, header, ["signkey-test-ffff", key])).toBe(true);
    expect(verify(`${body} `, header, [key])).toBe(false);
    expect(verify(body, header, [key], Date.now() + 10 * 60_000)).toBe(false);
  });
  it("hashes the signing key like the SDK's register bearer", () => {
    const expected = `signkey-test-${createHash("sha256").update(Buffer.from("00112233445566778899aabbccddeeff", "hex")).digest("hex")}`;
    expect(hashSigningKey(key)).toBe(expected);
  });
});

describe("redirects from an app", () => {
  it("resolves the Location and keeps the first request's query on top of the new one", () => {
    const original = "http://a.test/api/inngest?fnId=app-f&stepId=step";
    expect(appRedirectTarget(original, "/moved?x=1&stepId=other", original)).toBe("http://a.test/moved?x=1&stepId=step&fnId=app-f");
    expect(appRedirectTarget("http://b.test/x", "https://c.test/api", original)).toBe("https://c.test/api?fnId=app-f&stepId=step");
  });
  it("refuses a Location that is no http(s) URL", () => {
    expect(appRedirectTarget("http://a.test/", "file:///etc/passwd", "http://a.test/")).toBeNull();
    expect(appRedirectTarget("http://a.test/", "http://[::1", "http://a.test/")).toBeNull();
  });
});

describe("SDK responses", () => {
  const ok = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
    ok: true as const,
    reply: {
      status,
      headers: { "x-inngest-sdk": "inngest-js:v4", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    },
  });
  it("classifies completions, ops and errors", () => {
    expect(classify(ok(200, { a: 1 }), NOW)).toMatchObject({ type: "complete", output: { a: 1 } });
    expect(classify(ok(206, [{ id: "h", op: "StepRun", data: 1 }]), NOW)).toMatchObject({ type: "ops" });
    expect(classify(ok(206, { id: "h", op: "Sleep", name: "1s" }), NOW)).toMatchObject({ type: "ops", ops: [{ op: "Sleep" }] });
    expect(classify(ok(500, { name: "Error", message: "x" }, { "x-inngest-no-retry": "false" }), NOW)).toMatchObject({
      type: "error",
      retriable: true,
    });
    expect(classify(ok(400, { name: "NonRetriableError", message: "x" }, { "x-inngest-no-retry": "true" }), NOW)).toMatchObject({
      type: "error",
      retriable: false,
    });
    expect(classify({ ok: false, error: "ECONNREFUSED" }, NOW)).toMatchObject({ type: "error", retriable: true });
    expect(classify({ ok: true, reply: { status: 200, headers: {}, body: "<html>" } }, NOW)).toMatchObject({
      type: "error",
      retriable: true,
    });
    expect(classify(ok(206, "[{broken"), NOW)).toMatchObject({ type: "error", retriable: true });
  });
  it("holds an app only while it is away: refused, reset, or a bare 502/503 not from the SDK", () => {
    const page = (status: number, body: string, headers: Record<string, string> = {}) => ({
      ok: true as const,
      reply: { status, headers: { "content-type": "text/html", ...headers }, body },
    });
    expect(appUnreachable({ ok: false, error: "connect ECONNREFUSED", code: "ECONNREFUSED" })).toMatch(/ECONNREFUSED/);
    expect(appUnreachable(page(503, ""))).toMatch(/HTTP 503 with no body/);
    expect(appUnreachable(page(502, " \n"))).toMatch(/HTTP 502 with no body/);
    expect(appUnreachable(page(504, ""))).toBeUndefined();
    expect(appUnreachable(page(502, "<html>502 Bad Gateway</html>"))).toBeUndefined();
    expect(appUnreachable(page(503, "", { "x-inngest-sdk": "inngest-js:v4" }))).toBeUndefined();
    const failed = classify(page(504, "<html>timeout</html>"), NOW);
    expect(failed).toMatchObject({
      type: "error",
      retriable: true,
      error: { name: "Server returned a fatal error", message: "Your server returned HTTP 504 before the SDK responded." },
    });
    const cut = fatalUpstreamError(502, "x".repeat(9000), undefined).stack as string;
    expect(cut).toMatch(/Upstream response \(unknown content-type\):\nx{8192}\n… \(truncated\)$/);
  });
  it("clamps retry-after to [1 s, 24 h]", () => {
    expect(parseRetryAfter("0", NOW)).toBe(1000);
    expect(parseRetryAfter("30", NOW)).toBe(30_000);
    expect(parseRetryAfter(new Date(NOW + 90_000).toUTCString(), NOW)).toBe(90_000);
    expect(parseRetryAfter("999999", NOW)).toBe(86_400_000);
  });
});
