import { Middleware } from "inngest";
import { mapErrorStack } from "@/server/source-mapped-stack";

/**
 * A step's or a function's error leaves with its stack in the app's own source (server/source-mapped-stack.ts):
 * mapped where it is thrown, before JobTracking records it and before the SDK serializes it for Inngest. Listed
 * last on the client, so it is the innermost wrapper and every other middleware sees the mapped error.
 */
export class SourceMappedErrors extends Middleware.BaseMiddleware {
  readonly id = "jobdeck-source-mapped-errors";

  override async wrapStepHandler({ next }: Middleware.WrapStepHandlerArgs): Promise<unknown> {
    try {
      return await next();
    } catch (err) {
      mapErrorStack(err);
      throw err;
    }
  }

  override async wrapFunctionHandler({ next }: Middleware.WrapFunctionHandlerArgs): Promise<unknown> {
    try {
      return await next();
    } catch (err) {
      mapErrorStack(err);
      throw err;
    }
  }
}
