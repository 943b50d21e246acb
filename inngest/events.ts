import { eventType } from "inngest";
import { z } from "zod";

/**
 * The typed event catalogue: names and payloads of every event the app sends or consumes. (Inngest checks these
 * schemas at run time and requires input and output types to match, so defaults live in the functions.)
 */
export const demoTaskRequested = eventType("demo/task.requested", {
  schema: z.object({
    taskId: z.string().min(1),
    jobId: z.string().optional(),
    priority: z.number().int().min(-600).max(600).optional(),
    simulateFailure: z.boolean().optional(),
    failAtStep: z.number().int().min(1).max(5).optional(),
    delayMs: z.number().int().min(0).max(30_000).optional(),
    force: z.boolean().optional(),
  }),
});
