import { JobDetail } from "@/components/jobs/job-detail";

export default async function JobPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { id } = await params;
  // Set by the create form when an idempotency key returned this existing job instead of making a new one.
  const { existing } = await searchParams;
  return <JobDetail id={id} returnedForKey={typeof existing === "string" ? existing : undefined} />;
}
