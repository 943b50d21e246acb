import { truncateText } from "@jobdeck/safe-json";
import { NonRetriableError } from "inngest";
import { processWithCredits } from "@/jobs/process-with-credits";
import { creditBalance, deductCreditOnce } from "@/server/services/credits/credits";
import { recordJobResultPreview } from "@/server/services/jobs/record-progress";
import { jobFunction } from "./job-function";

const BODY_CHARS = 4_000;

/**
 * Paid work for one user at a time: check the user's credits (none left ends as "no credits" without failing),
 * mark the job processing, call the endpoint through `step.fetch` (Inngest makes the request and retries network
 * errors), store the result, then deduct one credit exactly once. An HTTP error from the endpoint fails the job
 * without retrying (a retry would replay the same memoized response) and the failure handler marks it FAILED.
 */
export const processWithCreditsFunction = jobFunction(
  processWithCredits,
  { retries: 3, concurrency: { limit: 1, key: "event.data.userId" } },
  async ({ event, step }) => {
    const { userId, url, input, jobId } = event.data;
    const orgId = event.data.orgId ?? "unknown";
    const balance = await step.run("check-credits", () => creditBalance(orgId, userId));
    if (balance < 1) return { status: "no credits", balance };

    if (jobId) await step.run("mark-processing", () => recordJobResultPreview({ jobId, orgId }, { phase: "processing", balance }));
    const res = await step.fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(input ?? {}),
    });
    const text = await res.text();
    if (!res.ok) throw new NonRetriableError(`${url} answered ${res.status}: ${text.slice(0, 200)}`);

    const stored = await step.run("store-result", () => ({
      status: res.status,
      body: text.length > BODY_CHARS ? `${truncateText(text, BODY_CHARS)}…` : text,
      storedAt: new Date().toISOString(),
    }));
    const charge = await step.run("deduct-credit", () => deductCreditOnce(orgId, userId, `credit:${orgId}:${jobId ?? event.id}`, jobId));
    return { status: "completed", result: stored, charged: charge.charged, balance: charge.balance };
  },
);
