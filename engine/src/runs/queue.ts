import type { EngineContext } from "../context.js";
import type { ItemKind, QueueItem, RunState } from "../types.js";
import { ENDED } from "../types.js";
import type { Unit } from "../unit.js";
import { ulid } from "../util/ulid.js";

type RunRef = Pick<RunState, "id" | "fnSlug" | "createdAt" | "priority" | "concurrency">;

/**
 * An item's place among ready items (lower first): its run's start, brought forward by the run's priority in
 * seconds, so older runs go first and `priority.run` moves a run ahead of those up to that many seconds older.
 */
export const scoreOf = (run: Pick<RunState, "createdAt" | "priority">): number => run.createdAt - run.priority * 1000;

/** A run's next things to do, as durable queue items: journaled with the unit, dispatchable once it is committed. */
export class RunQueue {
  constructor(private readonly ctx: EngineContext) {}

  enqueue(
    u: Unit,
    run: RunRef,
    kind: ItemKind,
    stepId: string,
    opts: Partial<Pick<QueueItem, "attempt" | "at" | "isStart" | "throttleKey" | "data" | "wait">> = {},
  ): QueueItem {
    const { journal, scheduler, runs, clock } = this.ctx;
    const item: QueueItem = {
      id: ulid(clock.now()),
      runId: run.id,
      fnSlug: run.fnSlug,
      kind,
      stepId,
      attempt: opts.attempt ?? 0,
      at: opts.at ?? clock.now(),
      score: scoreOf(run),
      isStart: opts.isStart ?? false,
      concurrency: kind === "exec" ? run.concurrency : [],
      throttleKey: opts.throttleKey,
      data: opts.data,
      wait: opts.wait,
      seq: scheduler.nextSeq(),
    };
    journal.putItem(item);
    u.after.push(() => {
      if (runs.endedRecently(item.runId)) {
        // The run ended while this item's batch was being committed: drop it instead of dispatching it.
        journal.deleteItem(item.id);
        void journal.commit().catch(() => {});
        return;
      }
      scheduler.add(item);
    });
    return item;
  }

  /** "Apply this memo to that step" at `at`: sleeps, matched waits, invoke results and timeouts. */
  resume(u: Unit, runId: string, fnSlug: string, stepHash: string, memo: unknown, detail: Record<string, unknown> = {}, at?: number) {
    return this.enqueue(u, bare(runId, fnSlug), "resume", stepHash, { at, data: { memo, ...detail } });
  }

  cancel(u: Unit, runId: string, fnSlug: string, reason: string): void {
    this.enqueue(u, bare(runId, fnSlug), "cancel", "cancel", { data: { reason } });
  }

  /**
   * The next discovery request (stepId "step"), once nothing is pending, or at once when the step that just ended
   * raced (Inngest's shouldEnqueueDiscovery: `!hasPendingSteps || mode == ParallelModeRace`, executor.go at 253303c).
   */
  discover(u: Unit, run: RunState, raced = false): void {
    if (ENDED.has(run.status) || (run.pending.size > 0 && !raced)) return;
    run.forceStepPlan = false;
    this.enqueue(u, run, "exec", "step");
    this.ctx.journal.saveRun(run);
  }

  /** Records a step's memoized result; false if it was already recorded (a duplicate answer). */
  setMemo(run: RunState, hash: string, memo: unknown): boolean {
    if (run.memos.has(hash)) return false;
    run.memos.set(hash, memo);
    run.stack.push(hash);
    this.ctx.journal.putMemo(run.id, hash, run.stack.length, memo);
    return true;
  }
}

/** An item that is not an SDK request needs only the run's id and function. */
const bare = (id: string, fnSlug: string): RunRef => ({ id, fnSlug, createdAt: 0, priority: 0, concurrency: [] });
