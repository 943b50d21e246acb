import { evaluateAlerts } from "@/server/services/alerts/evaluate-alerts";
import { notifyAlert } from "@/server/services/alerts/notify-alert";
import { inngest } from "../client";

/**
 * Every minute: every enabled alert rule evaluated (one run at a time), then each rule that started firing or
 * resolved notified in a step of its own, so a failed send is retried without evaluating again or sending twice.
 */
export const evaluateAlertsCron = inngest.createFunction(
  { id: "evaluate-alerts", retries: 3, concurrency: { limit: 1 }, triggers: [{ cron: "* * * * *" }] },
  async ({ step }) => {
    const events = await step.run("evaluate", async () => (await evaluateAlerts()).map(String));
    for (const id of events) await step.run(`notify-${id}`, () => notifyAlert(id));
    return { notified: events.length };
  },
);
