import { TRPCError } from "@trpc/server";
import { serverCaller } from "@/server/api/server-caller";
import { createDemoJobForm, jobActionForm } from "./jobs/actions";

export const dynamic = "force-dynamic";

const cell = { padding: "0.3rem 0.6rem", borderBottom: "1px solid #ddd", textAlign: "left" as const };

/** The minimal jobs page: the organization's latest jobs with their status, a demo-task form, retry and cancel. */
export default async function JobsPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const params = await searchParams;
  const api = await serverCaller();
  let who: Awaited<ReturnType<typeof api.whoami>>;
  let page: Awaited<ReturnType<typeof api.job.list>>;
  try {
    [who, page] = await Promise.all([api.whoami(), api.job.list({ limit: 50 })]);
  } catch (err) {
    if (err instanceof TRPCError && (err.code === "UNAUTHORIZED" || err.code === "SERVICE_UNAVAILABLE")) {
      return (
        <main>
          <h1>Jobdeck</h1>
          <p role="alert">{err.code === "UNAUTHORIZED" ? "Sign in to see your organization's jobs." : err.message}</p>
        </main>
      );
    }
    throw err;
  }
  return (
    <main>
      <h1>Jobdeck</h1>
      <p>
        Signed in as <strong>{who.userId}</strong> in <strong>{who.scope.orgId}</strong>
        {who.source === "dev" ? " (development identity: Clerk is not configured)" : ""}
      </p>
      {params.error ? <p role="alert">Error: {params.error}</p> : null}
      {params.created ? <p role="status">Created job {params.created}</p> : null}
      <form action={createDemoJobForm} style={{ display: "flex", gap: "0.8rem", alignItems: "end", flexWrap: "wrap" }}>
        <label>
          Delay in step 3 (ms) <input name="delayMs" type="number" min={0} max={30000} defaultValue={0} />
        </label>
        <label>
          Fail at step <input name="failAtStep" type="number" min={1} max={5} placeholder="none" />
        </label>
        <label>
          Priority <input name="priority" type="number" min={-600} max={600} defaultValue={0} />
        </label>
        <button type="submit">Run demo task</button>
      </form>
      <h2>Jobs</h2>
      {page.items.length === 0 ? (
        <p>No jobs yet.</p>
      ) : (
        <table style={{ borderCollapse: "collapse" }}>
          <thead>
            <tr>
              {["Job", "Type", "Status", "Steps", "Attempt", "Created", ""].map((h) => (
                <th key={h} style={cell}>
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {page.items.map((job) => (
              <tr key={job.id} data-job-id={job.id}>
                <td style={cell}>
                  <code>{job.id.slice(0, 8)}</code>
                </td>
                <td style={cell}>{job.type}</td>
                <td style={cell} data-status={job.status}>
                  {job.status}
                </td>
                <td style={cell}>{job.stepsCompleted}</td>
                <td style={cell}>{job.attempt}</td>
                <td style={cell}>{new Date(job.createdAt).toLocaleString("en")}</td>
                <td style={cell}>
                  {["FAILED", "CANCELLED", "QUEUED", "RUNNING", "WAITING"].includes(job.status) ? (
                    <form action={jobActionForm}>
                      <input type="hidden" name="id" value={job.id} />
                      {job.status === "FAILED" || job.status === "CANCELLED" ? (
                        <button type="submit" name="action" value="retry">
                          Retry
                        </button>
                      ) : (
                        <button type="submit" name="action" value="cancel">
                          Cancel
                        </button>
                      )}
                    </form>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
