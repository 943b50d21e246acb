import type { QueueItem } from "../types.js";

/**
 * The stable id of the job an item is an attempt of (`x-inngest-job-id`, Inngest's queue item id, pkg/headers):
 * the first attempt's item id, which every retry of the same request carries in its data.
 */
export function jobIdOf(item: QueueItem): string {
  const carried = item.data?.jobId;
  return typeof carried === "string" && carried ? carried : item.id;
}
