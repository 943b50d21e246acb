import { z } from "zod";
import { listApps, resyncApps } from "../../services/system/apps";
import { getEvent, listEvents, listEventsInput } from "../../services/system/event-views";
import { listFunctions, sendEvent, sendEventInput, setFunctionPaused } from "../../services/system/inngest-admin";
import { invokeFunction, invokeFunctionInput } from "../../services/system/invoke-function";
import { listSchedules } from "../../services/system/schedules";
import { protectedProcedure, router } from "../trpc";

/** Inngest itself as the console shows it: functions, events, schedules, apps; pause/resume, invoke, resync. */
export const systemRouter = router({
  functions: protectedProcedure.query(({ ctx }) => listFunctions(ctx.scope, ctx.operator)),
  setPaused: protectedProcedure
    .input(z.object({ id: z.string().min(1), paused: z.boolean() }))
    .mutation(({ ctx, input }) => setFunctionPaused(ctx.scope, ctx.operator, input.id, input.paused)),
  events: protectedProcedure.input(listEventsInput.optional()).query(({ ctx, input }) => listEvents(ctx.scope, ctx.operator, input)),
  event: protectedProcedure
    .input(z.object({ id: z.string().min(1).max(200) }))
    .query(({ ctx, input }) => getEvent(ctx.scope, ctx.operator, input.id)),
  sendEvent: protectedProcedure.input(sendEventInput).mutation(({ ctx, input }) => sendEvent(ctx.scope, input)),
  invoke: protectedProcedure.input(invokeFunctionInput).mutation(({ ctx, input }) => invokeFunction(ctx.scope, ctx.operator, input)),
  schedules: protectedProcedure.query(({ ctx }) => listSchedules(ctx.scope, ctx.operator)),
  apps: protectedProcedure.query(({ ctx }) => listApps(ctx.scope, ctx.operator)),
  resyncApps: protectedProcedure.mutation(({ ctx }) => resyncApps(ctx.scope, ctx.operator)),
});
