import { Events } from "@/components/system/Events";

export default function EventsPage() {
  return (
    <>
      <h1>Events</h1>
      <Events />
    </>
  );
}
