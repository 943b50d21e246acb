import { demoTask } from "./functions/demo-task";
import { relayOutboxCron } from "./functions/relay-outbox";

/** Every function the app serves at /api/inngest. */
export const functions = [demoTask, relayOutboxCron];
