import "server-only";
import { cache } from "react";
import { getIdentity } from "../auth";
import { AppError } from "../errors";
import type { Context } from "./trpc";

/** The tRPC context of the current request (resolved once per request). */
export const createContext = cache(async (): Promise<Context> => {
  try {
    return { identity: await getIdentity() };
  } catch (err) {
    if (err instanceof AppError) return { identity: null, authError: err };
    throw err;
  }
});
