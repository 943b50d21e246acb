import { randomUUID } from "node:crypto";
import { type CreateJobInput, createJobInput, type JobContract, jobContractOf, jobStartEventId } from "@/jobs";
import { type FieldIssue, validationError } from "../../errors";
import type { Scope } from "../../identity";
import { outboundUrl } from "../../net/outbound";
import type { OutgoingEvent } from "../outbox/enqueue-event";
import { issuesOf } from "../validate";

/**
 * The largest payload a job may have, as JSON: Inngest's smallest event limit (256 KB on its free plan), so that
 * every job's start event is accepted by every Inngest it may run on, instead of staying QUEUED.
 */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

/** A create that passed every check, with its id and start event made: what the database statement inserts. */
export interface PreparedJob {
  id: string;
  type: string;
  priority: number;
  payload: Record<string, unknown>;
  idempotencyKey: string | null;
  tags: string[];
  event: OutgoingEvent;
}

/**
 * Checks one create the way every door does (the catalogue's schema, the payload's size, the outbound policy on its
 * URLs, a required idempotency key) and prepares it; the problems come back as field issues, each path under
 * `prefix` (a batch's `items[17]`), so a batch can report every bad item at once.
 */
export function prepareJob(scope: Scope, raw: CreateJobInput, prefix: string[] = []): PreparedJob | FieldIssue[] {
  const parsed = issuesOf(createJobInput, raw);
  if (!parsed.ok) return parsed.issues.map((i) => ({ path: [...prefix, ...i.path.map(String)].join("."), message: i.message }));
  const input = parsed.value as {
    type: string;
    payload: Record<string, unknown>;
    priority: number;
    idempotencyKey?: string;
    tags: string[];
  };
  const def = jobContractOf(input.type) as JobContract;
  const payload = input.payload;
  const at = (...path: string[]) => [...prefix, ...path].join(".");
  const issues = outboundIssues(def, payload).map((i) => ({ path: at("payload", i.field), message: i.message }));
  const bytes = Buffer.byteLength(JSON.stringify(payload));
  if (bytes > MAX_PAYLOAD_BYTES)
    issues.push({ path: at("payload"), message: `${bytes} bytes of JSON; a job's payload may be at most ${MAX_PAYLOAD_BYTES}` });
  const idempotencyKey = input.idempotencyKey ?? def.impliedIdempotencyKey?.(payload);
  if (def.requiresIdempotencyKey && !idempotencyKey) {
    issues.push({ path: at("idempotencyKey"), message: `required for ${def.type} jobs, so a repeated request never sends twice` });
  }
  if (issues.length) return issues;
  const id = randomUUID();
  const event = def.toEventData(payload, { id, orgId: scope.orgId, createdBy: scope.userId, priority: input.priority, attempt: 1 });
  return {
    id,
    type: def.type,
    priority: input.priority,
    payload,
    idempotencyKey: idempotencyKey ?? null,
    tags: input.tags,
    event: { id: jobStartEventId(id, 1), name: def.eventName, data: event },
  };
}

/** Like prepareJob, for one create: its problems are a 400 naming every bad field. */
export function prepareJobOrThrow(scope: Scope, raw: CreateJobInput): PreparedJob {
  const prepared = prepareJob(scope, raw);
  if (Array.isArray(prepared))
    throw validationError(
      prepared.map((i) => ({ path: [i.path], message: i.message })),
      "input",
    );
  return prepared;
}

/** The installation's outbound policy on every URL the job will call (the contract checked only its form). */
function outboundIssues(def: JobContract, payload: Record<string, unknown>): Array<{ field: string; message: string }> {
  return def.outboundUrls.flatMap((field) => {
    const checked = outboundUrl.safeParse(payload[field]);
    return checked.success ? [] : checked.error.issues.map((i) => ({ field, message: i.message }));
  });
}
