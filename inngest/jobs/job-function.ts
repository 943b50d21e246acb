import type { EventType, InngestFunction } from "inngest";
import type { z } from "zod";
import { cancelOnJobCancel } from "@/inngest/functions/job-cancel";
import { failJobOnFailure } from "@/inngest/functions/job-failure";
import type { JobContract } from "@/jobs";
import { inngest } from "../client";

type AnyStartEvent = EventType<string, z.ZodObject>;
type CreateFunction<E extends AnyStartEvent> = typeof inngest.createFunction<[E]>;
/** The handler's context, typed from the contract's start event exactly as `inngest.createFunction` would type it. */
type JobHandler<E extends AnyStartEvent> = Parameters<CreateFunction<E>>[1];
/** Function options a job type chooses; its id, triggers, cancelOn and onFailure come from the contract. */
export type JobFunctionOptions<E extends AnyStartEvent> = Omit<
  Parameters<CreateFunction<E>>[0],
  "id" | "triggers" | "cancelOn" | "onFailure"
>;

/** A job type's Inngest function, with the contract it was built from. */
export interface JobFunction {
  contract: JobContract;
  fn: InngestFunction.Any;
}

/**
 * The Inngest function that runs a job type: triggered by the contract's start event, with the contract's id, and
 * the cancel (`job.cancel` stops the run at its next step) and failure handling (the job becomes FAILED once retries
 * are exhausted) every job shares. The handler is typed by the start event.
 */
export function jobFunction<C extends JobContract<string, string, z.ZodRawShape, AnyStartEvent>>(
  contract: C,
  options: JobFunctionOptions<C["startEvent"]>,
  handler: JobHandler<C["startEvent"]>,
): JobFunction {
  const fn = inngest.createFunction(
    {
      ...options,
      id: contract.type,
      triggers: [contract.startEvent],
      cancelOn: cancelOnJobCancel(),
      onFailure: failJobOnFailure,
    } as Parameters<CreateFunction<C["startEvent"]>>[0],
    handler,
  );
  return { contract, fn };
}
