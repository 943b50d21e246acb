import { z } from "zod";
import { type CreateJobInput, jobContracts } from "@/jobs";
import { acknowledgeFailures } from "../../services/jobs/acknowledge-failures";
import { bulkInput, bulkJobs } from "../../services/jobs/bulk-jobs";
import { cancelJob } from "../../services/jobs/cancel-job";
import { createJob } from "../../services/jobs/create-job";
import { createJobs } from "../../services/jobs/create-jobs";
import { decideApproval, decisionInput } from "../../services/jobs/decide-approval";
import { getJob } from "../../services/jobs/get-job";
import { getJobStatus } from "../../services/jobs/get-job-status";
import { jobId, listJobsInput } from "../../services/jobs/inputs";
import { jobChangesVersion, jobStats } from "../../services/jobs/job-stats";
import { countJobs, listJobs } from "../../services/jobs/list-jobs";
import { replayJob } from "../../services/jobs/replay-job";
import { rerunJobFromStep } from "../../services/jobs/rerun-job";
import { retryJob } from "../../services/jobs/retry-job";
import { runInsight } from "../../services/jobs/run-insight";
import { jobLogs } from "../../services/logs/search-logs";
import { queueLatency } from "../../services/stats/queue-latency";
import { queueSeries } from "../../services/stats/queue-series";
import { protectedProcedure, router } from "../trpc";

const byId = z.object({ id: jobId });

/** tRPC over the job service: every procedure is one service call in the caller's organization. */
export const jobRouter = router({
  // Typed per job type for the client; checked by createJob itself (jobs/registry.ts createJobInput), so tRPC, REST
  // and server actions refuse a bad create with the same field-level message.
  create: protectedProcedure
    .input((raw: unknown) => raw as CreateJobInput)
    .mutation(({ ctx, input }) => createJob(ctx.scope, input, "TRPC")),
  /** Up to 1,000 jobs in one call: all created or none (createJobs). Typed per item like `create`. */
  createMany: protectedProcedure
    .input((raw: unknown) => raw as { items: CreateJobInput[] })
    .mutation(({ ctx, input }) => createJobs(ctx.scope, input, "TRPC")),
  list: protectedProcedure.input(listJobsInput.optional()).query(({ ctx, input }) => listJobs(ctx.scope, input ?? {})),
  count: protectedProcedure.input(listJobsInput.optional()).query(({ ctx, input }) => countJobs(ctx.scope, input ?? {})),
  byId: protectedProcedure.input(byId).query(({ ctx, input }) => getJob(ctx.scope, input.id)),
  status: protectedProcedure.input(byId).query(({ ctx, input }) => getJobStatus(ctx.scope, input.id)),
  retry: protectedProcedure.input(byId).mutation(({ ctx, input }) => retryJob(ctx.scope, input.id)),
  /** A new job of the same type with the same payload, or an edited one (validated by the type's schema). */
  replay: protectedProcedure
    .input(byId.extend({ payload: z.record(z.string(), z.unknown()).optional() }))
    .mutation(({ ctx, input }) => replayJob(ctx.scope, input.id, { payload: input.payload })),
  /** The same job again from one of its steps: the earlier steps' recorded outputs are reused, not re-executed. */
  rerunFromStep: protectedProcedure
    .input(byId.extend({ fromStep: z.string().trim().min(1, "fromStep is required").max(200) }))
    .mutation(({ ctx, input }) => rerunJobFromStep(ctx.scope, input.id, input.fromStep)),
  /** What the job's functions logged, per step attempt. */
  logs: protectedProcedure.input(byId).query(({ ctx, input }) => jobLogs(ctx.scope, input.id)),
  cancel: protectedProcedure.input(byId).mutation(({ ctx, input }) => cancelJob(ctx.scope, input.id)),
  /** Approve or reject an approval-workflow job that waits for its decision. */
  decide: protectedProcedure
    .input(decisionInput.extend({ id: jobId }))
    .mutation(({ ctx, input }) => decideApproval(ctx.scope, input.id, input)),
  /** Retry or cancel many: given ids, or everything matching the list's filter. */
  bulk: protectedProcedure.input(bulkInput).mutation(({ ctx, input }) => bulkJobs(ctx.scope, input)),
  /** The run behind the job according to Inngest, with why it waits when the engine can say. */
  insight: protectedProcedure.input(byId).query(({ ctx, input }) => runInsight(ctx.scope, input.id)),
  /** Per-minute throughput, failure rate and queue latency for the overview's charts. */
  series: protectedProcedure
    .input(z.object({ minutes: z.number().int().min(5).max(1440).default(60) }).optional())
    .query(({ ctx, input }) => queueSeries(ctx.scope, input?.minutes)),
  /** Queue latency percentiles over every job started in the last `minutes` (the overview's cards). */
  latency: protectedProcedure
    .input(z.object({ minutes: z.number().int().min(1).max(1440).default(15) }).optional())
    .query(({ ctx, input }) => queueLatency(ctx.scope, input?.minutes)),
  stats: protectedProcedure.query(({ ctx }) => jobStats(ctx.scope)),
  /** The organization's change counter: the console refetches its job views only when it moves. */
  version: protectedProcedure.query(({ ctx }) => jobChangesVersion(ctx.scope)),
  acknowledge: protectedProcedure
    .input(z.object({ ids: z.array(jobId).max(100).optional() }))
    .mutation(({ ctx, input }) => acknowledgeFailures(ctx.scope, input.ids)),
  /** The job types a caller can create, with their payload schemas as JSON Schema (for forms and clients). */
  types: protectedProcedure.query(() =>
    jobContracts.map((t) => ({
      type: t.type,
      label: t.label,
      description: t.description,
      requiresIdempotencyKey: t.requiresIdempotencyKey,
      payloadSchema: z.toJSONSchema(t.payload, { io: "input" }),
      /** The event that starts it and the function that runs it (the events form explains both). */
      eventName: t.eventName,
      functionId: t.functionId,
      example: t.example,
    })),
  ),
});
