import { Suspense } from "react";
import { AuditTrail } from "@/components/audit/audit-trail";

export const dynamic = "force-dynamic";

export default function AuditPage() {
  return (
    <>
      <h1>Audit trail</h1>
      <p className="muted">
        Every change made in this organization, by whom and from where; kept a year by default (AUDIT_RETENTION_DAYS).
      </p>
      <Suspense>
        <AuditTrail />
      </Suspense>
    </>
  );
}
