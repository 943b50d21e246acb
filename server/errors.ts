/**
 * The app's one error type. Services throw AppError with a code; the HTTP layer and tRPC map the code to a
 * status in one place, so bad input is always a 4xx with the field-level reason and never a 500.
 */
export const ERROR_CODES = {
  /** Input failed validation; `details` holds the field-level reasons. */
  BAD_REQUEST: { http: 400, trpc: "BAD_REQUEST" },
  /** No (valid) identity. */
  UNAUTHORIZED: { http: 401, trpc: "UNAUTHORIZED" },
  /** Identity without the right (e.g. no organization). */
  FORBIDDEN: { http: 403, trpc: "FORBIDDEN" },
  /** Missing, or belonging to another organization (never 403: that would leak its existence). */
  NOT_FOUND: { http: 404, trpc: "NOT_FOUND" },
  /** The action does not fit the current state (e.g. retrying a running job). */
  CONFLICT: { http: 409, trpc: "CONFLICT" },
  /** A request body larger than the API takes. */
  PAYLOAD_TOO_LARGE: { http: 413, trpc: "PAYLOAD_TOO_LARGE" },
  /** A body in a format the API does not take (anything but JSON). */
  UNSUPPORTED_MEDIA_TYPE: { http: 415, trpc: "UNSUPPORTED_MEDIA_TYPE" },
  /** Too many active jobs for the organization. */
  TOO_MANY_REQUESTS: { http: 429, trpc: "TOO_MANY_REQUESTS" },
  /** A dependency (database, engine) is unavailable; safe to retry. */
  UNAVAILABLE: { http: 503, trpc: "SERVICE_UNAVAILABLE" },
  INTERNAL: { http: 500, trpc: "INTERNAL_SERVER_ERROR" },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface FieldIssue {
  path: string;
  message: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details?: FieldIssue[];

  constructor(code: ErrorCode, message: string, opts: { details?: FieldIssue[]; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = "AppError";
    this.code = code;
    this.details = opts.details;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].http;
  }

  get trpcCode(): (typeof ERROR_CODES)[ErrorCode]["trpc"] {
    return ERROR_CODES[this.code].trpc;
  }

  /** The JSON body every API returns for this error. */
  toJSON(): { error: { code: ErrorCode; message: string; details?: FieldIssue[] } } {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

/** A zod error as a 400 naming each field. */
export function validationError(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>, what = "input"): AppError {
  const details = issues.map((i) => ({ path: i.path.map(String).join(".") || what, message: i.message }));
  const summary = details.map((d) => `${d.path}: ${d.message}`).join("; ");
  return new AppError("BAD_REQUEST", `invalid ${what}: ${summary}`, { details });
}

/** Error codes that mean the database is away (or saturated) rather than that the request was wrong. */
const UNAVAILABLE_CODES = new Set([
  // Prisma: cannot reach, timed out, closed the connection, pool timeout, could not start a transaction.
  "P1001",
  "P1002",
  "P1008",
  "P1017",
  "P2024",
  "P2028",
  // Node sockets and pg.
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  // PostgreSQL: shutting down, cannot connect now, connection failures, too many connections.
  "57P01",
  "57P02",
  "57P03",
  "08000",
  "08001",
  "08003",
  "08004",
  "08006",
  "53300",
]);
const UNAVAILABLE_MESSAGE =
  /Connection terminated|connection (?:is )?closed|timeout exceeded when trying to connect|Can't reach database server|Client has encountered a connection error|Transaction API error: Unable to start a transaction/i;

/**
 * The kinds of driver-adapter error Prisma reports (in `meta.driverAdapterError.cause`) when the connection, not
 * the statement, failed: raw queries report these as P2010 "Raw query failed", not as P1001/P1017.
 */
const UNAVAILABLE_ADAPTER_KINDS = new Set([
  "DatabaseNotReachable",
  "ConnectionClosed",
  "SocketTimeout",
  "TooManyConnections",
  "TransactionAlreadyClosed",
]);

interface ErrorLike {
  code?: unknown;
  cause?: unknown;
  message?: unknown;
  meta?: { driverAdapterError?: { cause?: { kind?: unknown; originalCode?: unknown; code?: unknown } } };
}

/** True when an error (or one it wraps) says the database could not be reached or was overloaded. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err as ErrorLike | undefined, i = 0; e && i < 6; e = e.cause as ErrorLike | undefined, i++) {
    if (typeof e.code === "string" && UNAVAILABLE_CODES.has(e.code)) return true;
    if (typeof e.message === "string" && UNAVAILABLE_MESSAGE.test(e.message)) return true;
    const adapter = e.meta?.driverAdapterError?.cause;
    if (adapter && typeof adapter.kind === "string" && UNAVAILABLE_ADAPTER_KINDS.has(adapter.kind)) return true;
    for (const code of [adapter?.originalCode, adapter?.code]) if (typeof code === "string" && UNAVAILABLE_CODES.has(code)) return true;
  }
  return false;
}

/** Seconds a client should wait before retrying a 503. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * The AppError an unexpected error stands for, if any: AppErrors as they are, a database that is away as a 503
 * (safe to retry). Anything else is a bug, for the caller to log and answer with a generic 500.
 */
export function knownError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  if (isDatabaseUnavailable(err)) {
    return new AppError("UNAVAILABLE", `the database is not answering right now; retry in ${RETRY_AFTER_SECONDS} s`, { cause: err });
  }
  return undefined;
}
