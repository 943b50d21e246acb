import { z } from "zod";
import { AppError } from "../../errors";
import { requireRole, type Scope } from "../../identity";
import { auditedRemote } from "../audit/record-audit";
import { parseInput } from "../validate";
import { type FunctionView, v1 } from "./inngest-admin";
import { inngestApi } from "./inngest-target";

/** Fields of an event's data that only the job service sets: they tie a run to a job row. */
const JOB_SERVICE_FIELDS = ["jobId", "jobAttempt"] as const;

export const invokeFunctionInput = z.object({
  functionId: z
    .string()
    .trim()
    .min(1, "functionId is required")
    .max(200)
    .regex(/^[\w.-]+$/, "functionId: letters, digits, '.', '_' or '-'"),
  data: z
    .record(z.string(), z.unknown())
    .default({})
    .superRefine((data, ctx) => {
      for (const key of JOB_SERVICE_FIELDS) {
        if (key in data)
          ctx.addIssue({ code: "custom", path: [key], message: "set by the job service: create or replay a job to run one as a job" });
      }
    }),
});

/**
 * Starts one run of a function now, as the Inngest Dev Server's "Invoke" does (`POST /invoke/:slug`: an
 * `inngest/function.invoked` event naming the function). A function with an event trigger runs on the given data as
 * the caller's organization (`orgId` and `sentBy` set here, over anything in `data`); a cron function ("run now")
 * is the installation's, so only an operator may start one out of schedule.
 */
export async function invokeFunction(
  scope: Scope,
  operator: boolean,
  raw: z.input<typeof invokeFunctionInput>,
): Promise<{ eventId: string }> {
  requireRole(scope, "member", "invoking a function");
  const input = parseInput(invokeFunctionInput, raw);
  const fns = await v1<FunctionView[]>("/v1/functions");
  const fn = fns.find((f) => f.id === input.functionId);
  if (!fn) throw new AppError("NOT_FOUND", `no function "${input.functionId}"`);
  const scheduled = fn.triggers.length > 0 && fn.triggers.every((t) => t.cron);
  if (scheduled && !operator)
    throw new AppError("FORBIDDEN", `only an operator can run ${fn.id} now: a schedule runs for the whole installation`);
  if (fn.paused) throw new AppError("CONFLICT", `${fn.id} is paused: resume it first`);
  const data = scheduled ? {} : { ...input.data, orgId: scope.orgId, sentBy: scope.userId };
  return auditedRemote(
    scope,
    async () => {
      const res = await inngestApi(`/invoke/${encodeURIComponent(fn.id)}`, { method: "POST", body: { data } }).catch((err: Error) => {
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
        result: { eventId: id },
        audit: {
          action: scheduled ? "function.runNow" : "function.invoke",
          targetType: "function",
          targetId: fn.id,
          after: { eventId: id },
        },
      };
    },
    scheduled ? { operator: true } : {},
  );
}
