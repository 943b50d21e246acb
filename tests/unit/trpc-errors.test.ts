import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { afterEach, describe, expect, it, vi } from "vitest";
import { logUnexpectedError, publicProcedure, router } from "../../server/api/trpc.js";
import { AppError } from "../../server/errors.js";
import { log } from "../../server/log.js";

/** The app's tRPC setup (formatter, middlewares, onError) over procedures that fail in each way a real one can. */
const failing = router({
  bug: publicProcedure.query(() => {
    throw new Error("relation \"Job\" column secret_token = 'abc' does not exist");
  }),
  refused: publicProcedure.query(() => {
    throw new AppError("CONFLICT", "job j1 is already COMPLETED");
  }),
});

async function call(path: string) {
  const res = await fetchRequestHandler({
    endpoint: "/api/trpc",
    req: new Request(`http://localhost/api/trpc/${path}`),
    router: failing,
    createContext: () => ({ identity: null }),
    onError: logUnexpectedError,
  });
  return { status: res.status, body: (await res.json()) as { error: { message: string; data: Record<string, unknown> } } };
}

describe("tRPC errors", () => {
  afterEach(() => vi.restoreAllMocks());

  it("logs an unexpected error once, with its procedure, and answers 500 without its text or stack", async () => {
    const logged = vi.spyOn(log, "error").mockImplementation(() => undefined);
    const { status, body } = await call("bug");
    expect(status).toBe(500);
    expect(body.error.message).toBe("internal error; the server log has the details");
    expect(JSON.stringify(body)).not.toMatch(/secret_token|stack/);
    expect(logged).toHaveBeenCalledTimes(1);
    const [fields] = logged.mock.calls[0] as unknown as [{ path: string; err: Error }];
    expect(fields).toMatchObject({ path: "bug" });
    expect(fields.err.message).toMatch(/secret_token/);
  });

  it("passes a service's own error through with its code and message, and logs nothing", async () => {
    const logged = vi.spyOn(log, "error").mockImplementation(() => undefined);
    const { status, body } = await call("refused");
    expect(status).toBe(409);
    expect(body.error.message).toBe("job j1 is already COMPLETED");
    expect(logged).not.toHaveBeenCalled();
  });
});
