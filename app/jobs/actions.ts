"use server";

import { revalidatePath } from "next/cache";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import type { CreateJobInput } from "@/jobs";
import { getIdentity } from "@/server/auth";
import { type FieldIssue, knownError } from "@/server/errors";
import { requestMetaFrom } from "@/server/http/request-meta";
import { scopeOf } from "@/server/identity";
import { createJob } from "@/server/services/jobs/create-job";
import type { JobView } from "@/server/services/jobs/job-view";

/**
 * Server actions for the UI: the same job service as tRPC and REST, with source UI. Typed actions return a result
 * the client can show field by field; the form actions work without JavaScript (they redirect).
 */
export type ActionResult<T> = { ok: true; value: T } | { ok: false; code: string; message: string; details?: FieldIssue[] };

async function attempt<T>(fn: () => Promise<T>): Promise<ActionResult<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    const known = knownError(err);
    if (known) return { ok: false, code: known.code, message: known.message, details: known.details };
    throw err;
  }
}

async function scope() {
  return scopeOf(await getIdentity(), requestMetaFrom(await headers(), "action"));
}

export async function createJobAction(input: CreateJobInput): Promise<ActionResult<{ job: JobView; created: boolean }>> {
  return attempt(async () => createJob(await scope(), input, "UI"));
}

const optionalInt = (v: FormDataEntryValue | null) => (v === null || v === "" ? undefined : Number(v));

/** `<form action={createDemoJobForm}>` on the jobs page: a demo task from plain form fields. */
export async function createDemoJobForm(form: FormData): Promise<void> {
  const failAtStep = optionalInt(form.get("failAtStep"));
  const result = await createJobAction({
    type: "demo-task",
    priority: optionalInt(form.get("priority")) ?? 0,
    tags: String(form.get("tags") ?? "")
      .split(/[\s,]+/)
      .filter(Boolean),
    payload: {
      delayMs: optionalInt(form.get("delayMs")),
      ...(failAtStep ? { simulateFailure: true, failAtStep } : {}),
    },
  });
  revalidatePath("/jobs");
  redirect(result.ok ? `/jobs/${result.value.job.id}` : `/jobs?error=${encodeURIComponent(result.message)}`);
}
