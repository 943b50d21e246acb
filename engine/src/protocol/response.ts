import { truncateText } from "@jobdeck/safe-json";
import type { SdkResult } from "./sdk-client.js";

/** The opcodes this engine acts on (notes §3.2); any other is ignored with a debug line. */
export const OP_NAMES = [
  "StepRun",
  "Step",
  "StepError",
  "StepFailed",
  "StepPlanned",
  "Sleep",
  "WaitForEvent",
  "WaitForSignal",
  "InvokeFunction",
  "Gateway",
  "AIGateway",
  "RunComplete",
  "DiscoveryRequest",
  "DeferAdd",
  "DeferAbort",
] as const;
export type OpName = (typeof OP_NAMES)[number];

export const isOpName = (op: string): op is OpName => (OP_NAMES as readonly string[]).includes(op);

/** One opcode from a 206 response (notes §3.2). Unknown fields are ignored. */
export interface Op {
  id: string;
  op: string;
  name?: string;
  displayName?: string;
  opts?: Record<string, unknown>;
  data?: unknown;
  error?: unknown;
  userland?: { id?: string; index?: number };
  /** `metadata.set()` updates made inside the step (runs/metadata.ts). */
  metadata?: unknown;
}

export type Outcome =
  | { type: "complete"; output: unknown; version?: number }
  | { type: "ops"; ops: Op[]; retryAfterMs?: number; version?: number }
  | { type: "error"; error: SerializedError; retriable: boolean; retryAfterMs?: number; version?: number };

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  [k: string]: unknown;
}

const DAY_MS = 86_400_000;

/** `retry-after`: integer seconds or a date (read against `now`, the engine's clock); clamped to [1 s, 24 h] like the Go server. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  let ms: number;
  if (/^\d+$/.test(value.trim())) ms = Number(value) * 1000;
  else {
    const at = Date.parse(value);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.min(Math.max(ms, 1000), DAY_MS);
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text.trim() === "") return { ok: true, value: null };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

export function asError(value: unknown, fallback: string): SerializedError {
  if (value && typeof value === "object") {
    const v = value as Record<string, unknown>;
    if (typeof v.message === "string" || typeof v.name === "string") {
      return { ...v, name: String(v.name ?? "Error"), message: String(v.message ?? fallback) };
    }
    if (typeof v.error === "string") return { name: "Error", message: v.error };
  }
  if (typeof value === "string" && value) return { name: "Error", message: value };
  return { name: "Error", message: fallback };
}

function isOp(v: unknown): v is Op {
  return !!v && typeof v === "object" && typeof (v as Op).op === "string" && typeof (v as Op).id === "string";
}

/** Classifies the SDK's answer to an execution request; anything that is not a valid SDK answer is a retriable error. */
export function classify(result: SdkResult, now: number): Outcome {
  if (!result.ok && result.code === "output_too_large") {
    // Inngest's HTTP driver words (syscode.CodeOutputTooLarge, httpdriver.go at 253303c); retried like any error.
    const message = "Your function's response body exceeds the maximum size limit";
    return { type: "error", retriable: true, error: { name: "output_too_large", message, error: `output_too_large: ${message}` } };
  }
  if (!result.ok) return { type: "error", retriable: true, error: { name: "NetworkError", message: `app unreachable: ${result.error}` } };
  const { status, headers, body } = result.reply;
  const versionHeader = Number(headers["x-inngest-req-version"]);
  const version = Number.isInteger(versionHeader) ? versionHeader : undefined;
  const retryAfterMs = parseRetryAfter(headers["retry-after"], now);

  if (status === 201) {
    // Streaming (INNGEST_STREAMING): the body is a wrapper {status, headers, body} around the real answer.
    const wrapped = parseJson(body);
    const w = wrapped.ok ? (wrapped.value as { status?: number; headers?: Record<string, string>; body?: unknown }) : undefined;
    if (w && typeof w.status === "number") {
      const inner = typeof w.body === "string" ? w.body : JSON.stringify(w.body ?? null);
      return classify({ ok: true, reply: { status: w.status, headers: { ...headers, ...(w.headers ?? {}) }, body: inner } }, now);
    }
    return { type: "error", retriable: true, error: { name: "ProtocolError", message: "invalid streamed response" }, version };
  }
  const fromSdk = headers["x-inngest-sdk"] !== undefined;
  if (status === 200 || status === 206) {
    if (!fromSdk) {
      return {
        type: "error",
        retriable: true,
        version,
        error: { name: "ProtocolError", message: `HTTP ${status} without x-inngest-sdk header: not an Inngest SDK response` },
      };
    }
    const parsed = parseJson(body);
    if (!parsed.ok)
      return {
        type: "error",
        retriable: true,
        version,
        error: { name: "ProtocolError", message: `invalid JSON in HTTP ${status} response` },
      };
    if (status === 200) return { type: "complete", output: parsed.value, version };
    const list = Array.isArray(parsed.value) ? parsed.value : [parsed.value];
    if (!list.every(isOp))
      return {
        type: "error",
        retriable: true,
        version,
        error: { name: "ProtocolError", message: "206 response holds something that is not an opcode" },
      };
    return { type: "ops", ops: list, retryAfterMs, version };
  }
  const noRetry = headers["x-inngest-no-retry"] === "true";
  if (!fromSdk) {
    // A proxy's or platform's page, a crash, a timeout: a failed attempt like any other, retried with backoff.
    return { type: "error", retriable: !noRetry, error: fatalUpstreamError(status, body, headers["content-type"]), retryAfterMs, version };
  }
  const parsed = parseJson(body);
  const error = asError(parsed.ok ? parsed.value : body.slice(0, 1000), `HTTP ${status}`);
  return { type: "error", retriable: !noRetry, error, retryAfterMs, version };
}

/** How much of a non-SDK answer's body the error keeps (Inngest's maxFatalUpstreamBodyBytes). */
const MAX_UPSTREAM_BODY = 8192;

/**
 * The error of an answer that did not come from the SDK and is no success (a gateway's 502/504 page, a platform's
 * function timeout, a 404 from a wrong route), in Inngest's words (state.FatalUpstreamError at 253303c): the status
 * in the message, the page itself, labelled with its content type, in the stack so one can see which layer failed.
 */
export function fatalUpstreamError(status: number, body: string, contentType: string | undefined): SerializedError {
  const message = `Your server returned HTTP ${status} before the SDK responded.`;
  const detail =
    "No step output was produced before the request failed — this can mean a proxy or load balancer in front of your app " +
    "returned an error, or your app was unable to respond.";
  let stack = detail;
  if (body.length > 0) {
    const kept = truncateText(body, MAX_UPSTREAM_BODY);
    const cut = kept.length < body.length ? "\n… (truncated)" : "";
    stack = `${detail}\n\nUpstream response (${contentType || "unknown content-type"}):\n${kept}${cut}`;
  }
  return { name: "Server returned a fatal error", message, stack, error: message };
}

/**
 * An app that cannot be reached is not a function that failed: a request refused, reset or not resolved, or answered a
 * bare 502/503 (no body) by something that is not the SDK (a dev server or proxy while the app restarts), says the app
 * is away, and state/app-availability.ts holds its requests until it answers. A gateway's page (a 502/503 with a body,
 * any 504) is a failed attempt instead (fatalUpstreamError above): the app behind it was reached, or is slow.
 */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_CLOSED",
]);
/** What a restarting app's proxy answers, bodiless; a 504 is a timeout, which says the app was reached or slow. */
const AWAY_STATUSES = new Set([502, 503]);

/** Whether an SDK request's failure says the app is away (rather than that the function failed). */
export function appUnreachable(result: SdkResult): string | undefined {
  if (!result.ok) return result.code && UNREACHABLE_CODES.has(result.code) ? result.error : undefined;
  const { status, headers, body } = result.reply;
  if (AWAY_STATUSES.has(status) && headers["x-inngest-sdk"] === undefined && body.trim() === "") {
    return `HTTP ${status} with no body from something other than the SDK`;
  }
  return undefined;
}
