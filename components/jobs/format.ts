/** Display helpers shared by the console's job views. */

/**
 * A duration as people read it. Rounded first and split after, so 59.96 s reads "1 min 0 s", never "60.0 s", and
 * 119.6 s "2 min 0 s", never "1 min 60 s".
 */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "–";
  if (ms < 0) return "0 ms";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const decimals = ms < 10_000 ? 2 : 1;
  const seconds = Number((ms / 1000).toFixed(decimals));
  if (seconds < 60) return `${seconds.toFixed(decimals)} s`;
  const total = Math.round(ms / 1000);
  const m = Math.floor(total / 60);
  if (m < 60) return `${m} min ${total % 60} s`;
  const totalMin = Math.round(ms / 60_000);
  return `${Math.floor(totalMin / 60)} h ${totalMin % 60} min`;
}

/** How long ago (or from now) a time is: "12 s ago", "in 3 min", "2 h ago", "4 d ago". */
export function formatRelative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "–";
  const diff = Date.parse(iso) - now;
  if (Number.isNaN(diff)) return "–";
  const abs = Math.abs(diff);
  const text =
    abs < 1000
      ? "now"
      : abs < 60_000
        ? `${Math.round(abs / 1000)} s`
        : abs < 3_600_000
          ? `${Math.round(abs / 60_000)} min`
          : abs < 86_400_000
            ? `${Math.round(abs / 3_600_000)} h`
            : `${Math.round(abs / 86_400_000)} d`;
  if (text === "now") return "just now";
  return diff < 0 ? `${text} ago` : `in ${text}`;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "–";
  const d = new Date(iso);
  return d.toLocaleString("en-GB", { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? "null";
}

/** A size in bytes as people read it: 512 B, 12.3 KB, 4.1 MB (1 KB = 1024 bytes). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
