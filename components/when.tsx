"use client";

import { useEffect, useState } from "react";
import { formatRelative, formatTime } from "./jobs/format";

/**
 * The console's one way to show a time: the absolute time ("2 Dec, 16:24:33"), then how long ago, with the exact
 * ISO time on hover. The relative part ticks every 10 s.
 */
export function When({ iso }: { iso: string | null | undefined }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 10_000);
    return () => clearInterval(t);
  }, []);
  if (!iso) return <span className="muted">–</span>;
  return (
    <time dateTime={iso} title={iso}>
      {formatTime(iso)} <span className="muted">· {formatRelative(iso, now)}</span>
    </time>
  );
}
