import { z } from "zod";
import { BadRequestError, NotFoundError } from "../errors.js";
import { sendSignal } from "../runs/signals.js";
import type { RunSystems } from "../runs/systems.js";
import { firstIssue, inngestEnvelope } from "./envelope.js";

export const signalSchema = z.object({
  signal: z.string({ error: "a signal name (a string) is required" }).min(1, "a signal name is required"),
  data: z.unknown().optional(),
});

/**
 * `POST /v1/signals` as Inngest answers it (pkg/api/apiv1/signals.go at 253303c): `{data: {run_id}}` for the run the
 * signal resumed, 404 "No signal found" when no run waits for it (the SDK's sendSignal reads that as "no run").
 */
export class SignalsApi {
  constructor(private readonly sys: RunSystems) {}

  async send(body: unknown) {
    const b = signalSchema.safeParse(body ?? {});
    if (!b.success) throw new BadRequestError(firstIssue(b.error));
    const resumed = await sendSignal(this.sys, b.data.signal, b.data.data);
    if (!resumed) throw new NotFoundError("No signal found");
    return inngestEnvelope({ run_id: resumed.runId }, this.sys.ctx.clock.now());
  }
}
