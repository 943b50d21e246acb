import { CreateJobForm } from "@/components/jobs/create-job-form";
import { createJobAction } from "../actions";

export default async function NewJobPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const { type } = await searchParams;
  return (
    <>
      <h1>New job</h1>
      <CreateJobForm initialType={type} create={createJobAction} />
    </>
  );
}
