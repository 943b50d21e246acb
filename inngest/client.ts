import { Inngest } from "inngest";

/**
 * The app's Inngest client. Mode and addresses come from the standard variables (INNGEST_DEV, INNGEST_BASE_URL,
 * INNGEST_SIGNING_KEY, INNGEST_EVENT_KEY), so the same build runs against the embedded engine, the Dev Server
 * or Inngest Cloud. `npm run dev` sets INNGEST_DEV to the embedded engine.
 */
export const inngest = new Inngest({ id: "jobdeck" });
