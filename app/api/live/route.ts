import { scopedRoute } from "@/server/http/api-route";
import { changeHub } from "@/server/services/live/change-hub";

export const dynamic = "force-dynamic";

/**
 * An event every so often, so proxies keep the stream open and the browser can tell a stream gone silent (a dropped
 * network, a sleeping laptop: no error reaches it) from a quiet organization. The console reconnects after 25 s of
 * silence.
 */
const HEARTBEAT_MS = 10_000;

/**
 * GET /api/live: a server-sent event stream of the organization's job changes (`event: jobs`, `data: {"version":N}`),
 * which the console follows instead of polling. One stream per tab; the counter is read once per organization.
 */
export const GET = scopedRoute(async ({ req, scope }) => {
  const encoder = new TextEncoder();
  let unsubscribe: (() => void) | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  const stop = () => {
    unsubscribe?.();
    unsubscribe = undefined;
    if (heartbeat) clearInterval(heartbeat);
  };
  // Subscribing first, so a stream over the organization's limit is refused with its 429 rather than opened.
  let push: ((text: string) => void) | null = null;
  const pending: string[] = [];
  unsubscribe = changeHub.subscribe(scope.orgId, (version) => {
    const text = `event: jobs\ndata: ${JSON.stringify({ version })}\n\n`;
    if (push) push(text);
    else pending.push(text);
  });
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      push = (text) => {
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          stop(); // the stream is closed already
        }
      };
      // How long the browser waits before reconnecting after the stream drops.
      push("retry: 2000\n\n");
      for (const text of pending.splice(0)) push(text);
      heartbeat = setInterval(() => push?.("event: ping\ndata: {}\n\n"), HEARTBEAT_MS);
      req.signal.addEventListener("abort", () => {
        stop();
        try {
          controller.close();
        } catch {
          // already closed
        }
      });
    },
    cancel: stop,
  });
  return new Response(stream, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store, no-transform",
      "x-accel-buffering": "no",
    },
  });
});
