"use client";

import { useQuery } from "@tanstack/react-query";
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatDuration } from "../jobs/format";
import { LoadError } from "../load-state";
import { useTRPC } from "../trpc";

const minuteLabel = (iso: string) => new Date(iso).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });

/** Throughput, failure rate and queue latency per minute over the last hour, from the queue statistics. */
export function Charts() {
  const trpc = useTRPC();
  const series = useQuery(trpc.job.series.queryOptions({ minutes: 60 }, { refetchInterval: 10_000 }));
  // The window's percentiles over its jobs, not the largest of its per-minute ones.
  const latency = useQuery(trpc.job.latency.queryOptions({ minutes: 15 }, { refetchInterval: 10_000 }));
  if (series.error) return <LoadError what="the charts" error={series.error} />;
  const data = (series.data ?? []).map((p) => ({
    ...p,
    label: minuteLabel(p.minute),
    failurePct: p.failureRate === null ? null : Math.round(p.failureRate * 100),
  }));
  const recent = data.slice(-15);
  const done = recent.reduce((a, p) => a + p.completed, 0);
  const failed = recent.reduce((a, p) => a + p.failed, 0);
  return (
    <div>
      <section className="cards" aria-label="Last 15 minutes" style={{ marginTop: "1rem" }}>
        <div className="card">
          <div className="n">{done}</div>
          <div className="l">completed, last 15 min</div>
        </div>
        <div className="card">
          <div className="n">{done + failed ? `${Math.round((failed / (done + failed)) * 100)}%` : "–"}</div>
          <div className="l">failure rate, last 15 min</div>
        </div>
        <div className="card">
          <div className="n" data-testid="latency-p50">
            {latency.data?.p50Ms != null ? formatDuration(latency.data.p50Ms) : "–"}
          </div>
          <div className="l">queue latency p50, last 15 min</div>
        </div>
        <div className="card">
          <div className="n" data-testid="latency-p95">
            {latency.data?.p95Ms != null ? formatDuration(latency.data.p95Ms) : "–"}
          </div>
          <div className="l">queue latency p95, last 15 min</div>
        </div>
      </section>
      <div className="row" style={{ alignItems: "stretch", marginTop: "1rem" }}>
        <figure className="panel" style={{ flex: "1 1 22rem", margin: 0, minWidth: 0 }}>
          <figcaption>Jobs finished per minute</figcaption>
          <div style={{ height: 220 }}>
            <ResponsiveContainer width="100%" height="100%">
              <BarChart data={data}>
                <CartesianGrid strokeDasharray="3 3" stroke="#d9dde5" />
                <XAxis dataKey="label" minTickGap={24} fontSize={12} />
                <YAxis allowDecimals={false} fontSize={12} width={32} />
                <Tooltip />
                <Legend />
                <Bar dataKey="completed" stackId="a" fill="#136c2e" isAnimationActive={false} />
                <Bar dataKey="failed" stackId="a" fill="#b3261e" isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          </div>
        </figure>
        <figure className="panel" style={{ flex: "1 1 22rem", margin: 0, minWidth: 0 }}>
          <figcaption>Failure rate (%) and queue latency p95 (ms)</figcaption>
          <div style={{ height: 220 }}>
            <ResponsiveContainer width="100%" height="100%">
              {/* Dots, not only lines: a minute with no neighbours (the first minute of activity) must still show. */}
              <LineChart data={data}>
                <CartesianGrid strokeDasharray="3 3" stroke="#d9dde5" />
                <XAxis dataKey="label" minTickGap={24} fontSize={12} />
                <YAxis yAxisId="pct" domain={[0, 100]} fontSize={12} width={32} />
                <YAxis yAxisId="ms" orientation="right" fontSize={12} width={48} />
                <Tooltip />
                <Legend />
                <Line
                  yAxisId="pct"
                  dataKey="failurePct"
                  name="failure %"
                  stroke="#b3261e"
                  dot={{ r: 2.5 }}
                  connectNulls
                  isAnimationActive={false}
                />
                <Line
                  yAxisId="ms"
                  dataKey="p95LatencyMs"
                  name="p95 ms"
                  stroke="#1d4f91"
                  dot={{ r: 2.5 }}
                  connectNulls
                  isAnimationActive={false}
                />
              </LineChart>
            </ResponsiveContainer>
          </div>
        </figure>
      </div>
    </div>
  );
}
