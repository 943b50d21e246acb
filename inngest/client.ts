import { Inngest } from "inngest";
import { extendedTracesMiddleware } from "inngest/experimental";
import { checkpointSettings } from "@/env";
import { INNGEST_APP_ID } from "@/jobs";
import { checkpointingOption, keepAliveFetch, snapshotProcessEnv } from "@/server/events/sdk-transport";
import { tracingEnabled } from "@/server/tracing";
import { JobTracking } from "./middleware/job-tracking";
import { SourceMappedErrors } from "./middleware/source-mapped-errors";
import { StepLogs } from "./middleware/step-logs";

// The SDK copies the environment several times per request; a JavaScript snapshot makes that cheap (sdk-transport.ts).
snapshotProcessEnv();

/**
 * The app's Inngest client. Mode and addresses come from the standard variables (INNGEST_DEV, INNGEST_BASE_URL,
 * INNGEST_SIGNING_KEY, INNGEST_EVENT_KEY), so the same build runs against the embedded engine, the Dev Server
 * or Inngest Cloud. `npm run dev` sets INNGEST_DEV to the embedded engine. JobTracking records every function's
 * job status and steps; SourceMappedErrors gives errors stacks in the app's source. Its own calls to Inngest (checkpoints, sends) use a keep-alive pool (sdk-transport.ts).
 */
export const inngest = new Inngest({
  id: INNGEST_APP_ID,
  middleware: [
    JobTracking,
    StepLogs,
    SourceMappedErrors,
    // Extended traces (server/tracing.ts): added to the provider registered at start; off unless tracing is on.
    ...(tracingEnabled() ? [extendedTracesMiddleware({ behaviour: "extendProvider" })] : []),
  ],
  fetch: keepAliveFetch,
  // Each finished step is reported to Inngest at once (Inngest's default). An operator may trade that for fewer
  // exchanges with STEP_CHECKPOINT_BUFFER (env.ts says what a crash then costs); a failing step, a sleep or a wait
  // reports what is buffered first.
  checkpointing: checkpointingOption(checkpointSettings()),
});
