import type { Op, SerializedError } from "../protocol/response.js";

/**
 * The limits Inngest enforces on a run, with its numbers and its words (pkg/consts/consts.go,
 * pkg/execution/executor/validate.go and pkg/execution/state/opcode.go at 253303c), so code written against one
 * behaves the same on the other.
 */

/** Steps a run may record (consts.DefaultMaxStepLimit). */
export const MAX_STEPS = 1000;
/** Bytes of one step's output (consts.MaxStepOutputSize). */
export const MAX_STEP_OUTPUT_BYTES = 4 * 1024 * 1024;

/** The run's end once it has as many steps as the limit, or an answer plans more than that at once. */
export const STEP_LIMIT_ERROR: SerializedError = {
  name: "InngestErrFunctionOverflowed",
  message: `The function run exceeded the step limit of ${MAX_STEPS} steps.`,
  error: "function has too many steps",
};

/** Inngest's state.ErrStepOutputTooLarge text, which both paths below quote. */
export const STEP_OUTPUT_TOO_LARGE = "step output size is greater than the limit";

/** The first op whose output is over the limit (GeneratorOpcode.Validate); undefined when all fit. */
export function oversizedOp(ops: Op[]): Op | undefined {
  return ops.find((op) => op.data !== undefined && Buffer.byteLength(JSON.stringify(op.data) ?? "") > MAX_STEP_OUTPUT_BYTES);
}
