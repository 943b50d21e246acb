import { Suspense } from "react";
import { RunsList } from "@/components/runs/runs-list";

export default function RunsPage() {
  return (
    <>
      <h1>Runs</h1>
      <Suspense>
        <RunsList />
      </Suspense>
    </>
  );
}
