import { alertsRouter } from "./routers/alerts";
import { auditRouter } from "./routers/audit";
import { jobRouter } from "./routers/job";
import { planRouter } from "./routers/plan";
import { runRouter } from "./routers/run";
import { settingsRouter } from "./routers/settings";
import { systemRouter } from "./routers/system";
import { creditRouter, documentRouter, mailboxRouter } from "./routers/workspace";
import { createCallerFactory, protectedProcedure, publicProcedure, router } from "./trpc";

/** The app's tRPC API. Imports no Next or Clerk code, so tests call it directly through createCaller. */
export const appRouter = router({
  job: jobRouter,
  run: runRouter,
  plan: planRouter,
  settings: settingsRouter,
  mailbox: mailboxRouter,
  document: documentRouter,
  credits: creditRouter,
  system: systemRouter,
  audit: auditRouter,
  alerts: alertsRouter,
  whoami: protectedProcedure.query(({ ctx }) => ({
    ...ctx.identity,
    scope: { orgId: ctx.scope.orgId, userId: ctx.scope.userId },
    /** admin, member or viewer (read only): the console hides what the role cannot do. */
    role: ctx.scope.role ?? "admin",
    operator: ctx.operator,
  })),
  ping: publicProcedure.query(() => ({ ok: true })),
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
