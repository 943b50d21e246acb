import { Inngest } from "inngest";
import { INNGEST_APP_ID } from "@/jobs";
import { keepAliveFetch } from "./sdk-transport";

/**
 * The one door events leave the app's services through. A send-only Inngest client (no functions, no middleware)
 * configured from the same variables as the serving client in inngest/client.ts (INNGEST_DEV, INNGEST_BASE_URL,
 * INNGEST_EVENT_KEY), so server/ never imports inngest/: the outbox relay and the console's "send event" use it.
 */
const sender = new Inngest({ id: INNGEST_APP_ID, fetch: keepAliveFetch });

export interface EventToSend {
  id?: string;
  name: string;
  data: Record<string, unknown>;
}

/** Sends events; resolves with Inngest's ids for them. */
export async function sendEvents(events: EventToSend | EventToSend[]): Promise<{ ids: string[] }> {
  return sender.send(events);
}
