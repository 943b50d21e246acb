/**
 * Prometheus's text exposition format (version 0.0.4) for the families the app reads from its database, where
 * prom-client's in-process metric objects do not fit: values are the database's totals at scrape time, and a
 * histogram's buckets are stored counts, not observations made in this process.
 */

export type Labels = Record<string, string>;

export interface Family {
  name: string;
  type: "gauge" | "counter" | "histogram";
  help: string;
  /** For gauges and counters. */
  samples?: Array<{ labels: Labels; value: number }>;
  /** For histograms: per series, the count in each bucket (non-cumulative, by upper bound), the sum and the bounds. */
  series?: Array<{ labels: Labels; buckets: Map<number, number>; overflow: number; sum: number }>;
  bounds?: readonly number[];
}

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
const escapeHelp = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

/** A number as Prometheus writes it (`+Inf`, `NaN`). */
function num(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Number.POSITIVE_INFINITY) return "+Inf";
  if (n === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(n);
}

export function renderFamily(f: Family): string {
  const lines = [`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`];
  if (f.type !== "histogram") {
    for (const s of f.samples ?? []) lines.push(`${f.name}${labelText(s.labels)} ${num(s.value)}`);
  } else {
    for (const s of f.series ?? []) {
      let cumulative = 0;
      for (const le of f.bounds ?? []) {
        cumulative += s.buckets.get(le) ?? 0;
        lines.push(`${f.name}_bucket${labelText({ ...s.labels, le: num(le) })} ${cumulative}`);
      }
      cumulative += s.overflow;
      lines.push(`${f.name}_bucket${labelText({ ...s.labels, le: "+Inf" })} ${cumulative}`);
      lines.push(`${f.name}_sum${labelText(s.labels)} ${num(s.sum)}`);
      lines.push(`${f.name}_count${labelText(s.labels)} ${cumulative}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
