import { Suspense } from "react";
import { AlertHistory } from "@/components/alerts/alert-history";

export const dynamic = "force-dynamic";

export default function AlertHistoryPage() {
  return (
    <>
      <h1>Alert history</h1>
      <Suspense>
        <AlertHistory />
      </Suspense>
    </>
  );
}
