import { z } from "zod";
import { JobStatus } from "@/generated/prisma/enums";
import { jobTag } from "@/jobs";

/** Input shapes of the job service, shared by tRPC, REST and server actions so every door rejects the same way. */

export const jobId = z.string().min(1, "job id is required").max(100);

const statuses = z.enum(Object.values(JobStatus) as [JobStatus, ...JobStatus[]]);

/** A date PostgreSQL's timestamp column and every client can hold: the years 1970 to 9999. */
const dateBound = z.coerce
  .date()
  .min(new Date(0), "must be a date from 1970 on")
  .max(new Date("9999-12-31T23:59:59.999Z"), "must be a date before the year 10000");

export const listJobsInput = z.object({
  status: z.union([statuses, z.array(statuses).max(6)]).optional(),
  type: z.string().min(1).max(100).optional(),
  /** Words found in the payload (case-insensitive; each word also matches as a prefix). */
  q: z
    .string()
    .min(1)
    .max(200)
    .refine((q) => !q.includes("\u0000"), "must not contain a NUL character")
    .optional(),
  createdFrom: dateBound.optional(),
  createdTo: dateBound.optional(),
  limit: z.coerce.number().int().min(1).max(100, "limit must be at most 100").default(25),
  cursor: z.string().min(1).max(200).optional(),
  /** Only failures nobody has acknowledged yet (the badge's list). */
  unacknowledged: z.boolean().optional(),
  /** Only jobs carrying this tag. */
  tag: jobTag.optional(),
});
export type ListJobsInput = z.input<typeof listJobsInput>;
