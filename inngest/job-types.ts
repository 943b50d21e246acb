import { z } from "zod";
import { outboundUrl } from "@/server/net/outbound";
import {
  analyticsSyncRequested,
  approvalRequested,
  contentGenerateRequested,
  creditProcessRequested,
  demoTaskRequested,
  reportRenderRequested,
  webhookDeliveryRequested,
  welcomeEmailRequested,
} from "./events";

/**
 * The registry of job types: what a caller may create through the job service. Each entry names the payload
 * schema users fill in (the API, tRPC and the console form all validate against it), the event that starts the
 * job's function, and how a job becomes that event's data.
 */
export interface JobRef {
  id: string;
  orgId: string;
  createdBy: string;
  priority: number;
  attempt: number;
}

export interface JobTypeDefinition<P extends z.ZodType = z.ZodType> {
  type: string;
  label: string;
  description: string;
  payload: P;
  /** The event that starts the job's function. */
  eventName: string;
  /** Event data for one attempt of the job (the middleware finds the job through `jobId`). */
  toEventData(payload: z.output<P>, job: JobRef): Record<string, unknown>;
  /** The caller must give an idempotency key (e.g. so a double-clicked "send email" never sends twice). */
  requiresIdempotencyKey?: boolean;
  /**
   * An idempotency key implied by the payload when the caller gives none: creating the same logical job twice
   * then returns the first one instead of a second job the function would deduplicate (and leave QUEUED).
   */
  impliedIdempotencyKey?(payload: z.output<P>): string | undefined;
}

function define<P extends z.ZodType>(def: JobTypeDefinition<P>): JobTypeDefinition<P> {
  return def;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
/** Inngest's longest sleep or wait: a year. */
const MAX_DURATION_MS = 366 * 86_400_000;

/** A Go-style duration Inngest accepts for sleeps and timeouts (30s, 15m, 24h, 7d, 1h30m), of at most a year. */
const duration = z
  .string()
  .max(40)
  .regex(/^(\d+[smhdw])+$/, "must be a duration like 30s, 15m, 24h or 7d")
  .refine(
    (v) => [...v.matchAll(/(\d+)([smhdw])/g)].reduce((ms, m) => ms + Number(m[1]) * (UNIT_MS[m[2] as string] ?? 0), 0) <= MAX_DURATION_MS,
    "must be at most a year (366d)",
  );

const demoTaskPayload = z.object({
  taskId: z.string().min(1).max(200).optional().describe("Your id for the task; defaults to the job id"),
  simulateFailure: z.boolean().optional().describe("Throw at failAtStep on every attempt"),
  failAtStep: z.number().int().min(1).max(5).optional().describe("Step 1-5 to fail at when simulateFailure is set"),
  delayMs: z.number().int().min(0).max(30_000).optional().describe("How long step 3 keeps working (holding its slot), 0-30000 ms"),
  sleepFor: duration.optional().describe("A durable sleep (step.sleep) before step 3, e.g. 30s or 1h: the run is parked, holding no slot"),
  force: z.boolean().optional().describe("Run even if this taskId ran in the last 24 h"),
});

const jsonObject = z.record(z.string(), z.unknown());

export const jobTypes = {
  "demo-task": define({
    type: "demo-task",
    label: "Demo task",
    description:
      "Five named steps; step 3 works for delayMs, after an optional durable sleepFor; can fail at a chosen step to show retries and failure handling.",
    payload: demoTaskPayload,
    eventName: demoTaskRequested.name,
    toEventData: (p, job) => ({
      ...p,
      taskId: p.taskId ?? job.id,
      jobId: job.id,
      orgId: job.orgId,
      priority: job.priority,
      // Jobs are deduplicated by their idempotency key (per organization, see impliedIdempotencyKey); the
      // function's own taskId idempotency (global, 24 h) is for raw event senders and would silently drop retries
      // or another organization's job with the same taskId, leaving it QUEUED.
      force: true,
    }),
    impliedIdempotencyKey: (p) => (p.taskId && !p.force ? `demo-task:${p.taskId}` : undefined),
  }),
  "send-welcome-email": define({
    type: "send-welcome-email",
    label: "Welcome email",
    description: "Sends a welcome email over SMTP (or to the local mailbox) at most once, even across crashes.",
    payload: z.object({
      email: z.email("must be an email address"),
      name: z.string().min(1).max(200),
      message: z.string().max(5_000).default(""),
    }),
    eventName: welcomeEmailRequested.name,
    requiresIdempotencyKey: true,
    toEventData: (p, job) => ({ ...p, jobId: job.id, orgId: job.orgId }),
  }),
  "deliver-webhook": define({
    type: "deliver-webhook",
    label: "Webhook delivery",
    description:
      "POSTs a signed JSON body to a URL; retries 5xx and network errors with backoff, honours Retry-After, gives up on other 4xx.",
    payload: z.object({
      url: outboundUrl,
      body: z.unknown().default({}),
      headers: z.record(z.string(), z.string()).optional(),
    }),
    eventName: webhookDeliveryRequested.name,
    toEventData: (p, job) => ({ ...p, host: new URL(p.url).host, jobId: job.id, orgId: job.orgId }),
  }),
  "approval-workflow": define({
    type: "approval-workflow",
    label: "Approval workflow",
    description: "Prepares a request, waits for a human approve/reject decision (24 h by default), then executes or rejects.",
    payload: z.object({
      title: z.string().min(1).max(200),
      details: z.string().max(5_000).optional(),
      amount: z.number().nonnegative().optional(),
      timeout: duration.optional().describe("How long to wait for a decision (default 24h)"),
    }),
    eventName: approvalRequested.name,
    toEventData: (p, job) => ({ ...p, jobId: job.id, orgId: job.orgId }),
  }),
  "process-with-credits": define({
    type: "process-with-credits",
    label: "Process with credits",
    description: "Calls an HTTP endpoint for the user if they have a credit left, stores the result and deducts one credit exactly once.",
    payload: z.object({
      url: outboundUrl,
      input: jsonObject.optional(),
    }),
    eventName: creditProcessRequested.name,
    toEventData: (p, job) => ({ ...p, userId: job.createdBy, jobId: job.id, orgId: job.orgId }),
  }),
  "render-report": define({
    type: "render-report",
    label: "Render report",
    description: "Renders a Markdown report of the organization's jobs over the last days into a stored document (queue of 10).",
    payload: z.object({ title: z.string().min(1).max(200).optional(), days: z.number().int().min(1).max(90).default(7) }),
    eventName: reportRenderRequested.name,
    toEventData: (p, job) => ({ ...p, jobId: job.id, orgId: job.orgId }),
  }),
  "generate-content": define({
    type: "generate-content",
    label: "Generate content",
    description: "Fills a {{variable}} template and stores the text as a document (queue of 30).",
    payload: z.object({
      title: z.string().min(1).max(200),
      template: z.string().min(1).max(20_000),
      variables: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
    }),
    eventName: contentGenerateRequested.name,
    toEventData: (p, job) => ({ ...p, jobId: job.id, orgId: job.orgId }),
  }),
  "sync-analytics": define({
    type: "sync-analytics",
    label: "Sync analytics",
    description: "Aggregates the last minutes of jobs into per-minute queue statistics (queue of 60).",
    payload: z.object({ minutes: z.number().int().min(1).max(1_440).default(60) }),
    eventName: analyticsSyncRequested.name,
    toEventData: (p, job) => ({ ...p, jobId: job.id, orgId: job.orgId }),
  }),
} satisfies Record<string, JobTypeDefinition>;

export type JobType = keyof typeof jobTypes;

export const JOB_TYPE_NAMES = Object.keys(jobTypes) as [JobType, ...JobType[]];

export function jobTypeOf(type: string): JobTypeDefinition | undefined {
  return Object.hasOwn(jobTypes, type) ? (jobTypes as Record<string, JobTypeDefinition>)[type] : undefined;
}
