import type { EngineContext } from "../context.js";
import type { RunLifecycle } from "./lifecycle.js";
import type { PauseSystem } from "./pause-system.js";
import type { RunQueue } from "./queue.js";
import type { RetrySystem } from "./retry.js";
import type { Trace } from "./trace.js";

/** The run systems the executor and its op handlers act through. */
export interface RunSystems {
  readonly ctx: EngineContext;
  readonly queue: RunQueue;
  readonly lifecycle: RunLifecycle;
  readonly pauses: PauseSystem;
  readonly trace: Trace;
  /** Acts on every retry decision (function errors, step errors, step.fetch). */
  readonly retry: RetrySystem;
}
