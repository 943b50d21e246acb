import { CreateJobForm } from "@/components/jobs/create-job-form";
import { currentRole } from "@/server/auth";
import { createJobAction } from "../actions";

export const dynamic = "force-dynamic";

/** `?payload=` as a JSON object to prefill the form with; anything else prefills nothing (the form validates anyway). */
function payloadParam(text: string | undefined): Record<string, unknown> | undefined {
  if (!text || text.length > 64_000) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export default async function NewJobPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const { type, payload } = await searchParams;
  const role = await currentRole();
  return (
    <>
      <h1>New job</h1>
      {role === "viewer" ? (
        <p className="notice" data-testid="read-only">
          Your role in this organization can read jobs but not create them; ask an admin for the member role.
        </p>
      ) : (
        <CreateJobForm initialType={type} initialPayload={payloadParam(payload)} create={createJobAction} />
      )}
    </>
  );
}
