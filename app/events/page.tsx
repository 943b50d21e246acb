import { Suspense } from "react";
import { Events } from "@/components/system/events";

export default function EventsPage() {
  return (
    <>
      <h1>Events</h1>
      <Suspense>
        <Events />
      </Suspense>
    </>
  );
}
