import { CreateJobForm } from "@/components/jobs/create-job-form";
import { currentRole } from "@/server/auth";
import { createJobAction } from "../actions";

export const dynamic = "force-dynamic";

export default async function NewJobPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const { type } = await searchParams;
  const role = await currentRole();
  return (
    <>
      <h1>New job</h1>
      {role === "viewer" ? (
        <p className="notice" data-testid="read-only">
          Your role in this organization can read jobs but not create them; ask an admin for the member role.
        </p>
      ) : (
        <CreateJobForm initialType={type} create={createJobAction} />
      )}
    </>
  );
}
