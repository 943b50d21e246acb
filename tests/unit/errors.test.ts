import { describe, expect, it } from "vitest";
import { z } from "zod";
import { AppError, validationError } from "../../server/errors.js";

describe("AppError", () => {
  it("maps codes to HTTP and tRPC", () => {
    const e = new AppError("TOO_MANY_REQUESTS", "at most 50 active jobs per organization");
    expect(e.httpStatus).toBe(429);
    expect(e.trpcCode).toBe("TOO_MANY_REQUESTS");
    expect(new AppError("NOT_FOUND", "job x not found").httpStatus).toBe(404);
    expect(e.toJSON()).toEqual({ error: { code: "TOO_MANY_REQUESTS", message: "at most 50 active jobs per organization" } });
  });
  it("turns zod issues into a 400 naming each field", () => {
    const r = z.object({ taskId: z.string(), priority: z.number().max(600) }).safeParse({ priority: 900 });
    expect(r.success).toBe(false);
    const e = validationError(r.success ? [] : r.error.issues, "payload");
    expect(e.httpStatus).toBe(400);
    expect(e.details?.map((d) => d.path)).toEqual(["taskId", "priority"]);
    expect(e.message).toMatch(/^invalid payload: taskId: .*; priority: /);
  });
});

describe("isDatabaseUnavailable", () => {
  // The shapes Prisma 7 raises through the pg driver adapter; raw queries say P2010 "Raw query failed".
  const adapterError = (cause: Record<string, unknown>, code = "P2010") =>
    Object.assign(new Error("Raw query failed. Code: `N/A`. Message: `…`"), {
      code,
      meta: { driverAdapterError: { name: "DriverAdapterError", cause } },
    });

  it("knows a raw query whose connection failed from one PostgreSQL refused", async () => {
    const { isDatabaseUnavailable, knownError } = await import("../../server/errors.js");
    expect(isDatabaseUnavailable(adapterError({ kind: "ConnectionClosed" }))).toBe(true);
    expect(isDatabaseUnavailable(adapterError({ kind: "SocketTimeout" }))).toBe(true);
    expect(isDatabaseUnavailable(adapterError({ kind: "postgres", code: "57P01", message: "terminating connection" }))).toBe(true);
    expect(knownError(adapterError({ kind: "TooManyConnections", cause: "" }))?.httpStatus).toBe(503);
    // A statement PostgreSQL rejected is a bug or bad input, not an outage.
    expect(isDatabaseUnavailable(adapterError({ kind: "postgres", code: "42601", message: "syntax error" }))).toBe(false);
    expect(isDatabaseUnavailable(adapterError({ kind: "UniqueConstraintViolation" }))).toBe(false);
  });
});
