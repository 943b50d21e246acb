/**
 * A job's statuses and the sets the app reasons with: QUEUED → RUNNING ⇄ WAITING → COMPLETED | FAILED | CANCELLED,
 * and a retry takes a FAILED or CANCELLED job back to QUEUED. The database enum (prisma/schema.prisma) has the same
 * members; server/ checks that at compile time, components/ imports these instead of copying them.
 */
export const JOB_STATUSES = ["QUEUED", "RUNNING", "WAITING", "COMPLETED", "FAILED", "CANCELLED"] as const;
export type JobStatusName = (typeof JOB_STATUSES)[number];

/** A job whose run may still do something: it counts toward the active limit and can be cancelled. */
export const ACTIVE = ["QUEUED", "RUNNING", "WAITING"] as const satisfies readonly JobStatusName[];
/** A job whose run has started and not ended. */
export const STARTED = ["RUNNING", "WAITING"] as const satisfies readonly JobStatusName[];
/** A job whose run has ended. */
export const FINAL = ["COMPLETED", "FAILED", "CANCELLED"] as const satisfies readonly JobStatusName[];
/** A job a retry may start again. */
export const RETRYABLE = ["FAILED", "CANCELLED"] as const satisfies readonly JobStatusName[];

export const isActive = (status: string) => (ACTIVE as readonly string[]).includes(status);
export const isRetryable = (status: string) => (RETRYABLE as readonly string[]).includes(status);
export const isFinal = (status: string) => (FINAL as readonly string[]).includes(status);
