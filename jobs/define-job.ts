import { type EventType, eventType } from "inngest";
import { z } from "zod";

/** The Inngest app the job functions are served as; a function's id is `<app>-<job type>`. */
export const INNGEST_APP_ID = "jobdeck";
export const jobFunctionId = (type: string) => `${INNGEST_APP_ID}-${type}`;

/** What the job service knows about one attempt of a job when it turns the job into its start event. */
export interface JobRef {
  id: string;
  orgId: string;
  createdBy: string;
  priority: number;
  attempt: number;
}

/**
 * What every start event carries besides the payload: the job, its organization, and which attempt of the job the
 * event starts (`jobAttempt`), so a late outcome of an earlier attempt's run never changes a retry.
 */
const jobRefFields = { jobId: z.string().optional(), orgId: z.string().optional(), jobAttempt: z.number().int().min(1).optional() };
type JobRefFields = typeof jobRefFields;

/**
 * A payload field as the start event carries it. The job service applies the payload's defaults before sending,
 * but a raw event (sent from a dashboard) may leave the field out, and Inngest requires an event schema's input
 * and output types to match: so a default becomes optional, and handlers fall back themselves.
 */
type EventField<F> = F extends z.ZodDefault<infer Inner> ? z.ZodOptional<Inner> : F;
export type EventShape<P extends z.ZodRawShape, X extends z.ZodRawShape> = Omit<
  { [K in keyof P]: EventField<P[K]> },
  keyof X | keyof JobRefFields
> &
  Omit<X, keyof JobRefFields> &
  JobRefFields;

/** The start event's schema: the payload (defaults made optional), the fields the job type adds, the job's ref. */
function startEventSchema<P extends z.ZodRawShape, X extends z.ZodRawShape>(payload: z.ZodObject<P>, extra: X) {
  const fields = Object.fromEntries(
    Object.entries(payload.shape).map(([key, field]) => [key, field instanceof z.ZodDefault ? z.optional(field.unwrap()) : field]),
  );
  return z.object({ ...fields, ...extra, ...jobRefFields }) as unknown as z.ZodObject<EventShape<P, X>>;
}

export type StartEvent<N extends string, P extends z.ZodRawShape, X extends z.ZodRawShape> = EventType<N, z.ZodObject<EventShape<P, X>>>;

export interface JobContractSpec<T extends string, N extends string, P extends z.ZodRawShape, X extends z.ZodRawShape> {
  type: T;
  label: string;
  description: string;
  /** What callers fill in; the API, tRPC and the console form all validate against it. */
  payload: z.ZodObject<P>;
  /** The name of the event that starts the job's function. */
  event: N;
  /** Fields the start event carries besides the payload and the job's ref (a concurrency key, a default id). */
  eventFields?: X;
  /** The values of `eventFields` for one attempt of a job (and any payload field the event carries differently). */
  eventData?(payload: z.output<z.ZodObject<P>>, job: JobRef): z.input<z.ZodObject<X>> & Partial<z.input<z.ZodObject<EventShape<P, X>>>>;
  /** The caller must give an idempotency key (e.g. so a double-clicked "send email" never sends twice). */
  requiresIdempotencyKey?: boolean;
  /**
   * An idempotency key implied by the payload when the caller gives none: creating the same logical job twice
   * then returns the first one instead of a second job the function would deduplicate (and leave QUEUED).
   */
  impliedIdempotencyKey?(payload: z.output<z.ZodObject<P>>): string | undefined;
  /** Payload fields holding URLs the job will call: the job service checks them against the outbound policy. */
  outboundUrls?: ReadonlyArray<keyof P & string>;
  /** A payload the schema accepts, offered by the console's forms (an empty payload when none is given). */
  example?: z.input<z.ZodObject<P>>;
}

/** A job type's contract, as the job service, the console and the function built from it use it. */
export interface JobContract<
  T extends string = string,
  N extends string = string,
  P extends z.ZodRawShape = z.ZodRawShape,
  E extends EventType<N, z.ZodObject> = EventType<N, z.ZodObject>,
> {
  type: T;
  label: string;
  description: string;
  payload: z.ZodObject<P>;
  /** The event that starts the job's function, typed from the payload. */
  startEvent: E;
  eventName: N;
  /** The Inngest function id the start event runs (`jobdeck-<type>`). */
  functionId: string;
  /** Event data for one attempt of the job. */
  toEventData(payload: Record<string, unknown>, job: JobRef): Record<string, unknown>;
  requiresIdempotencyKey: boolean;
  impliedIdempotencyKey?(payload: Record<string, unknown>): string | undefined;
  outboundUrls: readonly string[];
  /** A payload the schema accepts (the console's example). */
  example: Record<string, unknown>;
}

/**
 * One job type's contract from one description: its payload schema and its typed start event (derived from the
 * payload, so the payload is described once). The function that runs it is built from the contract and a handler in
 * inngest/jobs/<type>.ts.
 */
export function defineJob<
  const T extends string,
  const N extends string,
  P extends z.ZodRawShape,
  X extends z.ZodRawShape = Record<never, never>,
>(spec: JobContractSpec<T, N, P, X>): JobContract<T, N, P, StartEvent<N, P, X>> {
  // The derived schema's input and output types match (defaults were made optional), which eventType checks on
  // concrete types only; the cast tells it so for the generic one.
  const schema = startEventSchema(spec.payload, spec.eventFields ?? ({} as X));
  const startEvent = eventType(spec.event, { schema: schema as never }) as StartEvent<N, P, X>;
  return {
    type: spec.type,
    label: spec.label,
    description: spec.description,
    payload: spec.payload,
    eventName: spec.event,
    functionId: jobFunctionId(spec.type),
    startEvent,
    toEventData: (payload, job) => ({
      ...payload,
      ...spec.eventData?.(payload as z.output<z.ZodObject<P>>, job),
      jobId: job.id,
      orgId: job.orgId,
      jobAttempt: job.attempt,
    }),
    requiresIdempotencyKey: spec.requiresIdempotencyKey ?? false,
    impliedIdempotencyKey: spec.impliedIdempotencyKey as JobContract["impliedIdempotencyKey"],
    outboundUrls: spec.outboundUrls ?? [],
    example: (spec.example ?? {}) as Record<string, unknown>,
  };
}
