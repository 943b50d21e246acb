import type { EngineContext } from "../context.js";
import type { HistoryRow } from "../types.js";
import { ENDED, type ItemKind, type QueueItem, type RunState } from "../types.js";
import { Unit } from "../unit.js";
import { executeRequest } from "./exec-request.js";
import { performStepFetch } from "./step-fetch.js";
import type { RunSystems } from "./systems.js";

type ItemHandler = (sys: RunSystems, item: QueueItem, run: RunState) => Promise<void>;

/** A `resume` item: a memo for a step (a sleep's end, a matched wait, an invoke's result, a timeout). */
const resume: ItemHandler = async (sys, item, run) => {
  const { ctx, queue, trace } = sys;
  const u = new Unit();
  ctx.journal.deleteItem(item.id);
  const memo = item.data?.memo ?? null;
  if (queue.setMemo(run, item.stepId, memo)) {
    const failed = !!memo && typeof memo === "object" && "error" in memo;
    trace.record(
      {
        id: (item.data?.historyId as string | undefined) ?? `${run.id}:${item.stepId}`,
        runId: run.id,
        kind: (item.data?.historyKind as HistoryRow["kind"]) ?? "wait",
        stepHash: item.stepId,
        stepName: item.data?.name as string | undefined,
        attempt: 0,
        startedAt: Number(item.data?.startedAt ?? ctx.clock.now()),
      },
      {
        status: item.data?.timedOut ? "timed_out" : failed ? "failed" : "completed",
        endedAt: ctx.clock.now(),
        output: failed ? undefined : memo,
        error: failed ? (memo as { error: unknown }).error : undefined,
      },
    );
  }
  run.pending.delete(item.stepId);
  ctx.journal.saveRun(run);
  queue.discover(u, run, item.data?.race === true);
  await u.commit(ctx.journal);
};

/** A `cancel` item: cancelOn matched, a timeout passed, or a singleton was replaced. */
const cancel: ItemHandler = async (sys, item, run) => {
  const u = new Unit();
  sys.ctx.journal.deleteItem(item.id);
  sys.lifecycle.cancelRun(u, run, String(item.data?.reason ?? "cancelled"));
  await u.commit(sys.ctx.journal);
};

const HANDLERS: Record<ItemKind, ItemHandler> = { exec: executeRequest, resume, gateway: performStepFetch, cancel };

/**
 * Runs queue items as the scheduler hands them out, each through the handler for its kind. Every result is journaled
 * and committed before the next item it causes becomes dispatchable.
 */
export class Executor {
  constructor(private readonly sys: RunSystems) {
    sys.ctx.bus.on("queue.ready", () => this.pump());
  }

  private get ctx(): EngineContext {
    return this.sys.ctx;
  }

  /** Takes every item that may run now and dispatches it. */
  pump(): void {
    for (let item = this.ctx.scheduler.take(); item; item = this.ctx.scheduler.take()) void this.run(item);
  }

  private async run(item: QueueItem): Promise<void> {
    const { scheduler, bus } = this.ctx;
    bus.emit("item.dispatched", { item });
    try {
      await this.dispatch(item);
    } finally {
      scheduler.settle(item);
      bus.emit("item.settled", { item });
    }
  }

  async dispatch(item: QueueItem): Promise<void> {
    const { runs, log, scheduler } = this.ctx;
    runs.beginDispatch(item.runId);
    try {
      const run = await this.runFor(item);
      if (run) await HANDLERS[item.kind](this.sys, item, run);
    } catch (err) {
      // Typically the database is unreachable. The item's row is still queued, so nothing is lost; try it again.
      log.error({ err, runId: item.runId, item: item.kind }, "item failed; retrying in 1s");
      setTimeout(() => scheduler.add({ ...item, at: this.ctx.clock.now(), seq: scheduler.nextSeq() }), 1000).unref();
    } finally {
      runs.endDispatch(item.runId);
    }
  }

  /** Loads the run; an item of an ended or unknown run is simply dropped. */
  private async runFor(item: QueueItem): Promise<RunState | undefined> {
    const run = await this.ctx.runs.load(item.runId);
    if (run && !ENDED.has(run.status)) return run;
    const u = new Unit();
    this.ctx.journal.deleteItem(item.id);
    await u.commit(this.ctx.journal);
    return undefined;
  }
}
