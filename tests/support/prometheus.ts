import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, until } from "@jobdeck/test-kit";

/**
 * A real Prometheus server (Debian's `prometheus` package) scraping targets the test names, and `promtool`. CI
 * installs the package (.ci/run); on a machine without it, the tests that need it say so and skip.
 */
export const PROMETHEUS = "/usr/bin/prometheus";
export const PROMTOOL = "/usr/bin/promtool";
export const havePrometheus = existsSync(PROMETHEUS) && existsSync(PROMTOOL);

export interface ScrapeTarget {
  job: string;
  /** e.g. http://127.0.0.1:3000/api/metrics */
  url: string;
  token: string;
}

export interface RunningPrometheus {
  url: string;
  /** An instant PromQL query through the HTTP API: the result vector. */
  query(promql: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  /** Whether every target's last scrape succeeded. */
  targetsUp(): Promise<Array<{ job: string; health: string; lastError: string }>>;
  stop(): Promise<void>;
}

/** `promtool check metrics` on a scrape's text: its problems (empty when it passes). */
export function promtoolProblems(text: string): string {
  const r = spawnSync(PROMTOOL, ["check", "metrics"], { input: text, encoding: "utf8" });
  return r.status === 0 ? "" : `${r.stdout}${r.stderr}`.trim() || `promtool exited ${r.status}`;
}

export async function startPrometheus(targets: ScrapeTarget[]): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), "jobdeck-prometheus-"));
  const config = [
    "global:",
    "  scrape_interval: 1s",
    "  scrape_timeout: 1s",
    "scrape_configs:",
    ...targets.flatMap((t) => {
      const u = new URL(t.url);
      return [
        `  - job_name: ${JSON.stringify(t.job)}`,
        `    metrics_path: ${JSON.stringify(u.pathname)}`,
        `    scheme: ${u.protocol.replace(":", "")}`,
        "    authorization:",
        `      credentials: ${JSON.stringify(t.token)}`,
        "    static_configs:",
        `      - targets: [${JSON.stringify(u.host)}]`,
      ];
    }),
  ].join("\n");
  writeFileSync(join(dir, "prometheus.yml"), `${config}\n`);
  const port = await freePort();
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.on("data", (d) => (output += String(d)));
  child.stderr?.on("data", (d) => (output += String(d)));
  const url = `http://127.0.0.1:${port}`;
  await until(`prometheus to answer\n${output}`, async () => (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok, 30_000, 200);
  return {
    url,
    async query(promql) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await res.json()) as { status: string; data: { result: [] }; error?: string };
      if (body.status !== "success") throw new Error(`PromQL ${promql}: ${body.error}`);
      return body.data.result;
    },
    async targetsUp() {
      const body = (await (await fetch(`${url}/api/v1/targets`)).json()) as {
        data: { activeTargets: Array<{ labels: { job: string }; health: string; lastError: string }> };
      };
      return body.data.activeTargets.map((t) => ({ job: t.labels.job, health: t.health, lastError: t.lastError }));
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
