import { z } from "zod";
import { approvalWorkflow } from "./approval-workflow";
import { benchNoop } from "./bench-noop";
import { benchSlot } from "./bench-slot";
import type { JobContract } from "./define-job";
import { deliverWebhook } from "./deliver-webhook";
import { demoTask } from "./demo-task";
import { approvalDecisionMade, jobCancelRequested } from "./events";
import { generateContent } from "./generate-content";
import { processWithCredits } from "./process-with-credits";
import { renderReport } from "./render-report";
import { sendWelcomeEmail } from "./send-welcome-email";
import { syncAnalytics } from "./sync-analytics";

/** Every product job type, in the order the console lists them. */
const PRODUCT_JOBS = [
  demoTask,
  sendWelcomeEmail,
  deliverWebhook,
  approvalWorkflow,
  processWithCredits,
  renderReport,
  generateContent,
  syncAnalytics,
] as const;
const ALL_JOBS = [...PRODUCT_JOBS, benchNoop, benchSlot] as const;

type AnyJob = (typeof ALL_JOBS)[number];

/** The Inngest function id of every job type (the bench ones too): the runs a job stands behind. */
export const ALL_JOB_FUNCTION_IDS: readonly string[] = ALL_JOBS.map((c) => c.functionId);
/** A job type's name: `"demo-task" | "send-welcome-email" | …`. */
export type JobType = AnyJob["type"];
/** The payload a caller gives for a job of type T (defaults may be left out). */
export type PayloadOf<T extends JobType> = z.input<Extract<AnyJob, { type: T }>["payload"]>;
/** The contract of a job of type T. */
export type ContractOf<T extends JobType> = Extract<AnyJob, { type: T }>;

/**
 * The job types callers can create, in the console's order; the benchmarks' types only in a stack started for
 * `npm run bench:stack` or `bench:tenants` (JOBDECK_BENCH_JOB_TYPES=1).
 */
export const jobContracts: readonly JobContract[] = process.env.JOBDECK_BENCH_JOB_TYPES === "1" ? ALL_JOBS : PRODUCT_JOBS;
export const JOB_TYPE_NAMES = jobContracts.map((c) => c.type);

const byType = new Map<string, JobContract>(jobContracts.map((c) => [c.type, c]));

/** The contract of a job type callers can create, if it is one. */
export function jobContractOf(type: string): JobContract | undefined {
  return byType.get(type);
}

/**
 * Every event the app's job functions are started, resumed or cancelled by. Only the job service sends these (with
 * the job's organization), so the console's "send event" refuses them.
 */
export const APP_EVENT_NAMES: ReadonlySet<string> = new Set([
  ...ALL_JOBS.map((c) => c.eventName),
  approvalDecisionMade.name,
  jobCancelRequested.name,
]);

/** One tag: what a person types and a URL carries as it is (letters, digits and - _ . : / =), up to 50 characters. */
export const jobTag = z
  .string()
  .trim()
  .min(1, "a tag may not be empty")
  .max(50, "a tag is at most 50 characters")
  .regex(/^[\p{L}\p{N}_.:/=-]+$/u, "a tag holds letters, digits and - _ . : / = only");

/** A job's tags: up to 10, each once (in the order given). */
export const jobTags = z
  .array(jobTag)
  .max(10, "at most 10 tags")
  .default([])
  .transform((tags) => [...new Set(tags)]);

/** What every create carries besides its type and payload. */
const createOptions = {
  priority: z.number().int("priority must be an integer").min(-600).max(600).default(0),
  idempotencyKey: z.string().min(1).max(200).optional(),
  tags: jobTags,
};

/** A create, typed per job type: `{ type: "demo-task", payload: PayloadOf<"demo-task">, … }` | …, at every door. */
export type CreateJobInput = {
  [T in JobType]: { type: T; payload?: PayloadOf<T>; priority?: number; idempotencyKey?: string; tags?: string[] };
}[JobType];

/**
 * The create input as one discriminated union over the job types callers can create: the type picks the payload
 * schema, so a bad field is named as `payload.delayMs` and an unknown type lists the known ones.
 */
export const createJobInput: z.ZodType<CreateJobInput, CreateJobInput> = z.discriminatedUnion(
  "type",
  // A payload key the type does not define is refused, not dropped: a misspelt field would otherwise vanish silently
  // (at create, in a batch, and in a replay with an edited payload).
  jobContracts.map((c) => z.object({ type: z.literal(c.type), payload: c.payload.strict().default({}), ...createOptions })) as unknown as [
    z.ZodObject,
    ...z.ZodObject[],
  ],
  {
    error: (issue) => {
      if (issue.code !== "invalid_union") return undefined;
      const type = (issue.input as { type?: unknown } | undefined)?.type;
      if (type === undefined) return "type is required";
      return `unknown job type ${JSON.stringify(type)}; known types: ${JOB_TYPE_NAMES.join(", ")}`;
    },
  },
) as never;
