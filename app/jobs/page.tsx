import { Suspense } from "react";
import { JobsList } from "@/components/jobs/jobs-list";
import { currentRole } from "@/server/auth";
import { createDemoJobForm } from "./actions";

export const dynamic = "force-dynamic";

/** The jobs list, and a demo-task form that works even without JavaScript (a plain server action). */
export default async function JobsPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const params = await searchParams;
  const role = await currentRole();
  return (
    <>
      <h1>Jobs</h1>
      {params.error ? (
        <p className="alert" role="alert">
          {params.error}
        </p>
      ) : null}
      <Suspense>
        <JobsList />
      </Suspense>
      {role === "viewer" ? null : (
        <details className="panel" style={{ marginTop: "1.5rem" }}>
          <summary>Quick demo task</summary>
          <form action={createDemoJobForm} className="toolbar" style={{ marginTop: "0.75rem" }}>
            <label className="field">
              Delay in step 3 (ms) <input name="delayMs" type="number" min={0} max={30000} defaultValue={0} />
            </label>
            <label className="field">
              Fail at step <input name="failAtStep" type="number" min={1} max={5} placeholder="none" />
            </label>
            <label className="field">
              Priority <input name="priority" type="number" min={-600} max={600} defaultValue={0} />
            </label>
            <label className="field">
              Tags <input name="tags" placeholder="e.g. demo" size={12} />
            </label>
            <button type="submit">Run demo task</button>
          </form>
        </details>
      )}
    </>
  );
}
