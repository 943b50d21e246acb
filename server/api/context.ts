import "server-only";
import { headers } from "next/headers";
import { cache } from "react";
import { getIdentity } from "../auth";
import { AppError } from "../errors";
import { requestMetaFrom } from "../http/request-meta";
import type { Context } from "./trpc";

/** The tRPC context of the current request (resolved once per request). */
export const createContext = cache(async (): Promise<Context> => {
  const request = requestMetaFrom(await headers(), "trpc");
  try {
    return { identity: await getIdentity(), request };
  } catch (err) {
    if (err instanceof AppError) return { identity: null, authError: err, request };
    throw err;
  }
});
