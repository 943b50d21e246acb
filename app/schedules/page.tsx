import { Schedules } from "@/components/system/schedules";

export default function SchedulesPage() {
  return (
    <>
      <h1>Schedules</h1>
      <Schedules />
    </>
  );
}
