import { Suspense } from "react";
import { LogSearch } from "@/components/logs/log-search";

export default function LogsPage() {
  return (
    <>
      <h1>Logs</h1>
      <Suspense>
        <LogSearch />
      </Suspense>
    </>
  );
}
