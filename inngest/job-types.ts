import { z } from "zod";
import { demoTaskRequested } from "./events";

/**
 * The registry of job types: what a caller may create through the job service. Each entry names the payload
 * schema users fill in (the API, tRPC and the console form all validate against it), the event that starts the
 * job's function, and how a job becomes that event's data.
 */
export interface JobTypeDefinition<P extends z.ZodType = z.ZodType> {
  type: string;
  label: string;
  description: string;
  payload: P;
  /** The event that starts the job's function. */
  eventName: string;
  /** Event data for one attempt of the job (the middleware finds the job through `jobId`). */
  toEventData(payload: z.output<P>, job: { id: string; orgId: string; priority: number; attempt: number }): Record<string, unknown>;
  /**
   * An idempotency key implied by the payload when the caller gives none: creating the same logical job twice
   * then returns the first one instead of a second job the function would deduplicate (and leave QUEUED).
   */
  impliedIdempotencyKey?(payload: z.output<P>): string | undefined;
}

function define<P extends z.ZodType>(def: JobTypeDefinition<P>): JobTypeDefinition<P> {
  return def;
}

const demoTaskPayload = z.object({
  taskId: z.string().min(1).max(200).optional().describe("Your id for the task; defaults to the job id"),
  simulateFailure: z.boolean().optional().describe("Throw at failAtStep on every attempt"),
  failAtStep: z.number().int().min(1).max(5).optional().describe("Step 1-5 to fail at when simulateFailure is set"),
  delayMs: z.number().int().min(0).max(30_000).optional().describe("How long step 3 sleeps, 0-30000 ms"),
  force: z.boolean().optional().describe("Run even if this taskId ran in the last 24 h"),
});

export const jobTypes = {
  "demo-task": define({
    type: "demo-task",
    label: "Demo task",
    description: "Five named steps; step 3 sleeps delayMs; can fail at a chosen step to show retries and failure handling.",
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
} satisfies Record<string, JobTypeDefinition>;

export type JobType = keyof typeof jobTypes;

export const JOB_TYPE_NAMES = Object.keys(jobTypes) as [JobType, ...JobType[]];

export function jobTypeOf(type: string): JobTypeDefinition | undefined {
  return Object.hasOwn(jobTypes, type) ? (jobTypes as Record<string, JobTypeDefinition>)[type] : undefined;
}
