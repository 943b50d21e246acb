import type { FastifyInstance, FastifyRequest } from "fastify";
import type { EngineContext } from "../context.js";
import { BadRequestError, EventValidationError } from "../errors.js";
import { validateEvents } from "../events/validate.js";
import type { EventsApi } from "./events-api.js";

type JsonParser = (req: FastifyRequest, body: string, done: (err: Error | null, value?: unknown) => void) => void;

/** Why `text` is not JSON, in JSON.parse's words, or that Fastify's strict parser refused a prototype key in it. */
function notJsonReason(text: string): string {
  try {
    JSON.parse(text);
    return "it holds a __proto__ or constructor.prototype key";
  } catch (err) {
    return (err as Error).message.slice(0, 200);
  }
}

/**
 * Inngest reads an event body as JSON whatever its content-type (pkg/eventstream ParseStream at 253303c): curl's
 * `-d` labels it a form, fetch's string body text/plain. An empty body is no events. The strict JSON parser
 * (prototype keys refused) is Fastify's own, as for every other route.
 */
function anyLabelJson(strict: JsonParser): JsonParser {
  return (req, body, done) => {
    if (body.trim() === "") return done(null, undefined);
    strict(req, body, (err, value) => {
      if (!err) return done(null, value);
      const why = notJsonReason(body);
      done(new BadRequestError(`body is not JSON (${why}): send an event object or an array of them, whatever the content-type`));
    });
  };
}

/**
 * `POST /e/:eventKey`, in a scope of its own so that only this route reads any content type as JSON; the rest of
 * the API stays JSON-only. A page cannot use that: the access guard has refused a page's non-JSON body (403) by
 * then, from its `Origin` / `Sec-Fetch-Site` headers.
 */
export function eventIntakeRoutes(app: FastifyInstance, ctx: EngineContext, events: Pick<EventsApi, "ingestFromSdk">): void {
  void app.register(async (scope) => {
    const strict = scope.getDefaultJsonParser("error", "error") as JsonParser;
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "string" }, anyLabelJson(strict));
    // A content-type no parser could even read ("json", "a;b") is no reason to refuse the body either.
    scope.addHook("onRequest", async (req) => {
      const type = req.headers["content-type"];
      if (type !== undefined && !/^[\w.+-]+\/[\w.+-]+\s*(;.*)?$/.test(type)) delete req.headers["content-type"];
    });
    scope.post<{ Params: { key: string } }>("/e/:key", async (req, reply) => {
      if (ctx.opts.eventKeys.length && !ctx.opts.eventKeys.includes(req.params.key)) {
        return reply.code(401).send({ ids: [], status: 401, error: "event key not found" });
      }
      // No events (an empty body or `[]`) is a success on Inngest (pkg/api/api.go ReceiveEvent), whose ids slice,
      // cut at the highest index seen, then holds one empty string.
      if (req.body === undefined || (Array.isArray(req.body) && req.body.length === 0))
        return reply.code(200).send({ ids: [""], status: 200 });
      let valid: ReturnType<typeof validateEvents>;
      try {
        valid = validateEvents(req.body, { internal: false, maxEventBytes: ctx.opts.maxEventBytes });
      } catch (err) {
        if (err instanceof EventValidationError) return reply.code(400).send({ ids: [], status: 400, error: err.message });
        throw err;
      }
      const seed = req.headers["x-inngest-event-id-seed"];
      const ids = await events.ingestFromSdk(valid, typeof seed === "string" ? seed : undefined);
      return reply.code(200).send({ ids, status: 200 });
    });
  });
}
