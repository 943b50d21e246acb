import { AsyncLocalStorage } from "node:async_hooks";
import { Middleware } from "inngest";
import { log } from "@/server/log";
import { jobRefOf } from "@/server/services/jobs/record-progress";
import { LogBuffer, type LogLevel, type LogPlace } from "@/server/services/logs/log-buffer";

/** The step attempt running in this async context, and whether the SDK's logger is the one printing. */
interface StepContext {
  buffer: LogBuffer;
  place: LogPlace;
  inLogger: boolean;
}

const current = new AsyncLocalStorage<StepContext>();
const CONSOLE_LEVELS: Record<string, LogLevel> = { log: "info", info: "info", warn: "warn", error: "error", debug: "debug" };
const PATCHED = Symbol.for("jobdeck.step-logs.console");

/**
 * `console.*` inside a step is captured for that step attempt (and still printed). Patched once per process; outside
 * a step the context is empty and the console behaves exactly as before.
 */
function captureConsole(): void {
  const c = console as unknown as Record<string | symbol, unknown>;
  if (c[PATCHED]) return;
  c[PATCHED] = true;
  for (const [method, level] of Object.entries(CONSOLE_LEVELS)) {
    const original = c[method] as (...args: unknown[]) => void;
    c[method] = (...args: unknown[]) => {
      const step = current.getStore();
      if (step && !step.inLogger) step.buffer.add(step.place, level, args);
      original.apply(console, args);
    };
  }
}

type Logger = Record<LogLevel, (...args: unknown[]) => void> & { enabled?: boolean };

/**
 * Captures what a function logs into PostgreSQL (StepLog), per step attempt: the SDK's `logger` anywhere in the
 * function (the SDK silences it while it replays memoized steps, so a line is stored once), and `console.*` inside a
 * step. Lines are written in one statement when the request ends (or a second after they were logged, while a long
 * step runs); a failure to write them is logged, never fatal.
 * Works the same against the embedded engine, the Dev Server and Inngest Cloud, since it runs in the app.
 */
export class StepLogs extends Middleware.BaseMiddleware {
  readonly id = "jobdeck-step-logs";
  private buffer?: LogBuffer;
  private attempt = 0;

  override transformFunctionInput(arg: Middleware.TransformFunctionInputArgs): Middleware.TransformFunctionInputArgs {
    captureConsole();
    const data = arg.ctx.event?.data as { orgId?: unknown } | undefined;
    const job = arg.ctx.event?.name?.startsWith("inngest/") ? undefined : jobRefOf(arg.ctx.event?.data);
    const runId = arg.ctx.runId;
    const buffer = new LogBuffer(
      {
        orgId: typeof data?.orgId === "string" && data.orgId ? data.orgId : null,
        jobId: job && /^[0-9a-f-]{36}$/i.test(job.jobId) ? job.jobId : null,
        runId: arg.ctx.runId,
        // The app-prefixed id the engine and Inngest list the function under.
        functionId: (arg.fn as unknown as { absoluteId?: string }).absoluteId ?? arg.fn.id(),
      },
      (err) => log.warn({ err, runId }, "could not store a run's log lines"),
    );
    this.buffer = buffer;
    this.attempt = arg.ctx.attempt ?? 0;
    const sdkLogger = (arg.ctx as unknown as { logger: Logger }).logger;
    const attempt = this.attempt;
    const levelOf =
      (level: LogLevel) =>
      (...args: unknown[]) => {
        const step = current.getStore();
        // Disabled while the SDK replays memoized code: those lines were stored by the request that ran it.
        if (sdkLogger.enabled !== false) buffer.add(step?.place ?? { stepId: null, stepName: null, attempt }, level, args);
        if (!step) return sdkLogger[level](...args);
        step.inLogger = true;
        try {
          sdkLogger[level](...args);
        } finally {
          step.inLogger = false;
        }
      };
    const logger = new Proxy(sdkLogger, {
      get: (target, prop, receiver) =>
        prop === "info" || prop === "warn" || prop === "error" || prop === "debug" ? levelOf(prop) : Reflect.get(target, prop, receiver),
    });
    return { ...arg, ctx: Object.assign({}, arg.ctx, { logger }) };
  }

  override wrapStepHandler({ ctx, stepInfo, next }: Middleware.WrapStepHandlerArgs): Promise<unknown> {
    if (!this.buffer) return next();
    const place = { stepId: stepInfo.hashedId, stepName: stepInfo.options.name ?? stepInfo.options.id, attempt: ctx.attempt };
    return current.run({ buffer: this.buffer, place, inLogger: false }, () => next());
  }

  /**
   * The run's lines are written before it reports its outcome: JobTracking (the outer middleware) records the job
   * COMPLETED or FAILED after this returns, so a page that stops polling at that moment has every line.
   */
  override async wrapFunctionHandler({ next }: Middleware.WrapFunctionHandlerArgs): Promise<unknown> {
    try {
      return await next();
    } finally {
      await this.buffer?.flush().catch((err: unknown) => log.warn({ err }, "could not store a run's log lines"));
    }
  }

  override async wrapRequest({ next, runId }: Middleware.WrapRequestArgs): Promise<Middleware.Response> {
    try {
      return await next();
    } finally {
      await this.buffer?.flush().catch((err: unknown) => log.warn({ err, runId }, "could not store a run's log lines"));
    }
  }
}
