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
