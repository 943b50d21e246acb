import { type EventType, eventType, type InngestFunction } from "inngest";
import { z } from "zod";
import { inngest } from "../client";
import { failJobOnFailure } from "../functions/job-failure";
import { cancelOnJobCancel } from "./follow-up-events";

/** What the job service knows about one attempt of a job when it turns the job into its start event. */
export interface JobRef {
  id: string;
  orgId: string;
  createdBy: string;
  priority: number;
  attempt: number;
}

/** Every start event carries its job's id and organization; the job-tracking middleware finds the job by them. */
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
type EventShape<P extends z.ZodRawShape, X extends z.ZodRawShape> = Omit<
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

type StartEvent<N extends string, P extends z.ZodRawShape, X extends z.ZodRawShape> = EventType<N, z.ZodObject<EventShape<P, X>>>;
type CreateFunction<N extends string, P extends z.ZodRawShape, X extends z.ZodRawShape> = typeof inngest.createFunction<
  [StartEvent<N, P, X>]
>;
/** The handler's context, typed from the start event exactly as `inngest.createFunction` would type it. */
type JobHandler<N extends string, P extends z.ZodRawShape, X extends z.ZodRawShape> = Parameters<CreateFunction<N, P, X>>[1];
/** Function options a job type chooses; triggers, cancelOn and onFailure are the same for every job. */
type JobFunctionOptions<N extends string, P extends z.ZodRawShape, X extends z.ZodRawShape> = Omit<
  Parameters<CreateFunction<N, P, X>>[0],
  "triggers" | "cancelOn" | "onFailure"
>;

export interface JobTypeSpec<T extends string, N extends string, P extends z.ZodRawShape, X extends z.ZodRawShape> {
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
  options: JobFunctionOptions<N, P, X>;
  handler: JobHandler<N, P, X>;
}

/** A job type as the job service and the served function list use it. */
export interface JobTypeDefinition {
  type: string;
  label: string;
  description: string;
  payload: z.ZodObject;
  /** The event that starts the job's function. */
  eventName: string;
  /** Event data for one attempt of the job. */
  toEventData(payload: Record<string, unknown>, job: JobRef): Record<string, unknown>;
  requiresIdempotencyKey: boolean;
  impliedIdempotencyKey?(payload: Record<string, unknown>): string | undefined;
  /** The Inngest function the start event runs. */
  fn: InngestFunction.Any;
}

/**
 * One job type from one description: its payload schema, its typed start event (derived from the payload, so the
 * payload is described once), and its function, which every job type gives the same cancel (`job.cancel` stops the
 * run at its next step) and failure handling (the job becomes FAILED once retries are exhausted).
 */
export function defineJobType<
  const T extends string,
  const N extends string,
  P extends z.ZodRawShape,
  X extends z.ZodRawShape = Record<never, never>,
>(spec: JobTypeSpec<T, N, P, X>): JobTypeDefinition & { type: T; startEvent: StartEvent<N, P, X> } {
  // The derived schema's input and output types match (defaults were made optional), which eventType checks on
  // concrete types only; the cast tells it so for the generic one.
  const schema = startEventSchema(spec.payload, spec.eventFields ?? ({} as X));
  const startEvent = eventType(spec.event, { schema: schema as never }) as StartEvent<N, P, X>;
  const fn = inngest.createFunction(
    { ...spec.options, triggers: [startEvent], cancelOn: cancelOnJobCancel(), onFailure: failJobOnFailure } as Parameters<
      CreateFunction<N, P, X>
    >[0],
    spec.handler,
  );
  return {
    type: spec.type,
    label: spec.label,
    description: spec.description,
    payload: spec.payload,
    eventName: spec.event,
    startEvent,
    toEventData: (payload, job) => ({
      ...payload,
      ...spec.eventData?.(payload as z.output<z.ZodObject<P>>, job),
      jobId: job.id,
      orgId: job.orgId,
      jobAttempt: job.attempt,
    }),
    requiresIdempotencyKey: spec.requiresIdempotencyKey ?? false,
    impliedIdempotencyKey: spec.impliedIdempotencyKey as JobTypeDefinition["impliedIdempotencyKey"],
    fn,
  };
}
