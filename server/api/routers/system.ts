import { z } from "zod";
import { getEvent, listEvents } from "../../services/system/event-views";
import { listFunctions, sendEvent, sendEventInput, setFunctionPaused } from "../../services/system/inngest-admin";
import { protectedProcedure, router } from "../trpc";

/** Inngest itself as the console shows it: functions, events, pause/resume. */
export const systemRouter = router({
  functions: protectedProcedure.query(({ ctx }) => listFunctions(ctx.scope, ctx.operator)),
  setPaused: protectedProcedure
    .input(z.object({ id: z.string().min(1), paused: z.boolean() }))
    .mutation(({ ctx, input }) => setFunctionPaused(ctx.scope, ctx.operator, input.id, input.paused)),
  events: protectedProcedure
    .input(z.object({ limit: z.number().int().min(1).max(200).default(50) }).optional())
    .query(({ ctx, input }) => listEvents(ctx.scope, ctx.operator, input?.limit)),
  event: protectedProcedure
    .input(z.object({ id: z.string().min(1).max(200) }))
    .query(({ ctx, input }) => getEvent(ctx.scope, ctx.operator, input.id)),
  sendEvent: protectedProcedure.input(sendEventInput).mutation(({ ctx, input }) => sendEvent(ctx.scope, input)),
});
