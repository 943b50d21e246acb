import "server-only";
import { createContext } from "./context";
import { createCaller } from "./root";

/** tRPC for server components and server actions: same procedures, no HTTP. */
export async function serverCaller() {
  return createCaller(await createContext());
}
