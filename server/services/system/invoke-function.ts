import { z } from "zod";
import { type CreateJobInput, jobContracts } from "@/jobs";
import { AppError } from "../../errors";
import { requireRole, type Scope } from "../../identity";
import { auditedRemote } from "../audit/record-audit";
import { createJob } from "../jobs/create-job";
import { parseInput } from "../validate";
import { type FunctionView, v1 } from "./inngest-admin";
import { inngestApi } from "./inngest-target";

export const invokeFunctionInput = z.object({
  functionId: z
    .string()
    .trim()
    .min(1, "functionId is required")
    .max(200)
    .regex(/^[\w.-]+$/, "functionId: letters, digits, '.', '_' or '-'"),
  data: z.record(z.string(), z.unknown()).default({}),
});

/** What an invoke started: a job (a job type's function) or a bare run (any other function). */
export interface InvokeResult {
  /** The job it made (or the existing one its key names: then `created` is false). */
  jobId: string | null;
  created: boolean;
  /** The `inngest/function.invoked` event that started a bare run. */
  eventId: string | null;
}

/**
 * Runs a function now with the given data, as the Inngest Dev Server's "Invoke" does.
 *
 * A job type's function runs as a job: the data is the job's payload and the job service creates it (its schema, the
 * outbound policy, the organization's pending limit and idempotency all apply, and it is listed, retried and
 * replayable), so invoking never gets around what creating a job checks. Any other function (a schedule's "run now",
 * the failure and cancellation trackers) acts on the whole installation, and an event it is given could speak for any
 * organization's job: only an operator starts one, through Inngest's `POST /invoke/:slug`.
 */
export async function invokeFunction(scope: Scope, operator: boolean, raw: z.input<typeof invokeFunctionInput>): Promise<InvokeResult> {
  requireRole(scope, "member", "invoking a function");
  const input = parseInput(invokeFunctionInput, raw);
  const contract = jobContracts.find((c) => c.functionId === input.functionId);
  if (contract) {
    const { job, created } = await createJob(scope, { type: contract.type, payload: input.data } as CreateJobInput, "UI");
    return { jobId: job.id, created, eventId: null };
  }
  const fns = await v1<FunctionView[]>("/v1/functions");
  const fn = fns.find((f) => f.id === input.functionId);
  if (!fn) throw new AppError("NOT_FOUND", `no function "${input.functionId}"`);
  if (!operator)
    throw new AppError("FORBIDDEN", `only an operator can run ${fn.id}: it works for the whole installation, not one organization`);
  if (fn.paused) throw new AppError("CONFLICT", `${fn.id} is paused: resume it first`);
  const scheduled = fn.triggers.length > 0 && fn.triggers.every((t) => t.cron);
  return auditedRemote(
    scope,
    async () => {
      const res = await inngestApi(`/invoke/${encodeURIComponent(fn.id)}`, {
        method: "POST",
        body: { data: scheduled ? {} : input.data },
      }).catch((err: Error) => {
        throw new AppError("UNAVAILABLE", `Inngest did not answer: ${err.message}`);
      });
      if (res.status === 404) {
        await res.body?.cancel();
        throw new AppError("UNAVAILABLE", "this Inngest cannot invoke from its API: invoke the function from the Inngest dashboard");
      }
      if (!res.ok) {
        const body = (await res.json().catch(() => ({}))) as { error?: string };
        throw new AppError(res.status === 400 ? "BAD_REQUEST" : "UNAVAILABLE", body.error ?? `Inngest answered ${res.status}`);
      }
      const { id } = (await res.json()) as { id: string };
      return {
        result: { jobId: null, created: false, eventId: id },
        audit: {
          action: scheduled ? "function.runNow" : "function.invoke",
          targetType: "function",
          targetId: fn.id,
          after: { eventId: id },
        },
      };
    },
    { operator: true },
  );
}
