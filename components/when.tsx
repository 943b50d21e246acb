"use client";

import { useSyncExternalStore } from "react";
import { formatRelative, formatTime } from "./jobs/format";

/**
 * One clock for every time on the page, ticking each second (one interval however many times are shown), so "in 4 s"
 * counts down and turns into "2 s ago" instead of reading "in 4 s" for a moment long past.
 */
const clock = (() => {
  // Whole seconds: every reading within a second is the same snapshot (React compares them).
  const read = () => Math.floor(Date.now() / 1000) * 1000;
  let now = read();
  const listeners = new Set<() => void>();
  let timer: ReturnType<typeof setInterval> | null = null;
  return {
    subscribe(listener: () => void) {
      listeners.add(listener);
      if (!timer) {
        timer = setInterval(() => {
          now = read();
          for (const l of listeners) l();
        }, 1000);
      }
      return () => {
        listeners.delete(listener);
        if (!listeners.size && timer) {
          clearInterval(timer);
          timer = null;
        }
      };
    },
    // While nothing ticks (no time on the page until now) the last reading may be minutes old: read afresh.
    now: () => {
      if (!timer) now = read();
      return now;
    },
  };
})();

/** The current time, re-rendering each second. */
export function useNow(): number {
  return useSyncExternalStore(clock.subscribe, clock.now, clock.now);
}

/**
 * The console's one way to show a time: the absolute time ("2 Dec, 16:24:33"), then how long ago or how soon, with
 * the exact ISO time on hover. The relative part ticks every second.
 */
export function When({ iso }: { iso: string | null | undefined }) {
  const now = useNow();
  if (!iso) return <span className="muted">–</span>;
  return (
    <time dateTime={iso} title={iso}>
      {formatTime(iso)} <span className="muted">· {formatRelative(iso, now)}</span>
    </time>
  );
}

/** An ISO time inside the engine's words, with the "(in 4 s)" it wrote when it answered (stale by now). */
const ISO_IN_TEXT = /(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)(?: \((?:in|about) [^)]*\))?/g;

/**
 * A reason the engine gave ("retry 1 of 3: step x failed once, tries again at 2026-12-07T09:01:02.000Z (in 4 s)"),
 * its times in the console's format and ticking.
 */
export function ReasonText({ text }: { text: string }) {
  const parts: Array<string | { iso: string }> = [];
  let last = 0;
  for (const m of text.matchAll(ISO_IN_TEXT)) {
    parts.push(text.slice(last, m.index));
    parts.push({ iso: m[1] as string });
    last = (m.index ?? 0) + m[0].length;
  }
  parts.push(text.slice(last));
  return (
    <>
      {parts.map((p, i) =>
        // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one text, in order
        typeof p === "string" ? p : <When key={i} iso={p.iso} />,
      )}
    </>
  );
}
