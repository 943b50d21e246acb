import { Suspense } from "react";
import { AlertRules } from "@/components/alerts/alert-rules";

export const dynamic = "force-dynamic";

export default function AlertsPage() {
  return (
    <>
      <h1>Alerts</h1>
      <p className="muted">
        Rules are evaluated every minute; each tells its channel once when it starts firing and once when it resolves.
      </p>
      <Suspense>
        <AlertRules />
      </Suspense>
    </>
  );
}
