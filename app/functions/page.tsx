import { Functions } from "@/components/system/functions";
import { servedFunctions } from "@/inngest/served-functions";
import { inngestDashboardUrl } from "@/server/services/system/inngest-target";

export const dynamic = "force-dynamic";

export default function FunctionsPage() {
  return (
    <>
      <h1>Functions</h1>
      <Functions registered={servedFunctions()} dashboardUrl={inngestDashboardUrl()} />
    </>
  );
}
