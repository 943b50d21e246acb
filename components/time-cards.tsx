import type { ReactNode } from "react";
import { When } from "./when";

/** One labelled figure in a row of cards. */
export function Card({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="card">
      <div className="l">{label}</div>
      {children}
    </div>
  );
}

/**
 * The cards at the head of a job's or a run's page: when it was created, started and ended (in the console's one
 * time format), then the page's own figures.
 */
export function TimeCards({
  created,
  started,
  ended,
  endedLabel,
  children,
}: {
  created: string | null;
  started: string | null;
  ended: string | null;
  endedLabel: string;
  children?: ReactNode;
}) {
  return (
    <div className="cards" style={{ marginBottom: "1rem" }}>
      <Card label="Created">
        <When iso={created} />
      </Card>
      <Card label="Started">
        <When iso={started} />
      </Card>
      <Card label={endedLabel}>
        <When iso={ended} />
      </Card>
      {children}
    </div>
  );
}
