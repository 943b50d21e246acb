/**
 * The engine's one error type: anything it refuses on purpose carries the HTTP status to answer with. Any other
 * error (a RangeError from a bug, a database failure) is an internal error, answered 500 and logged, never a 400.
 */
export class EngineError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Input that cannot be taken: a bad field, a bad event, a bad config. */
export class BadRequestError extends EngineError {
  constructor(message: string) {
    super(400, message);
  }
}

export class UnauthorizedError extends EngineError {
  constructor(message: string) {
    super(401, message);
  }
}

export class NotFoundError extends EngineError {
  constructor(message: string) {
    super(404, message);
  }
}

/** The request does not fit the current state (a run that already ended, a stale checkpoint). */
export class ConflictError extends EngineError {
  constructor(message: string) {
    super(409, message);
  }
}

/** A body over one of Inngest's size limits (a checkpointed step's output), answered 413 as Inngest does. */
export class PayloadTooLargeError extends EngineError {
  constructor(message: string) {
    super(413, message);
  }
}

/** An app's function configuration the engine cannot run (answered 400 to the sync that brought it). */
export class ConfigError extends BadRequestError {}

/** An event the event API refuses; the Inngest wire format answers it as `{ids: [], status: 400, error}`. */
export class EventValidationError extends BadRequestError {}
