/**
 * Restate's side of the peer benchmark: a Node service (the SDK's `serve`, HTTP/2) whose handlers do their work in
 * `ctx.run` steps, as Restate's docs write durable steps. A five-step job is one invocation of five `ctx.run`s, each
 * journaled by the server before the next starts. The orchestrator registers the service with the server.
 */
import "./promise-with-resolvers.js";
import * as restate from "@restatedev/restate-sdk";
import { preciseNow } from "../measure.js";
import { type BenchJob, completed, serveSamples, started } from "./recorder.js";

const bench = restate.service({
  name: "bench",
  handlers: {
    one: async (ctx: restate.Context, job: BenchJob) => {
      await ctx.run("s1", () => {
        started(job);
        return 1;
      });
      completed();
    },
    five: async (ctx: restate.Context, job: BenchJob) => {
      let prevEnd: number | undefined;
      for (let step = 1; step <= 5; step++) {
        const link: BenchJob = { sentAt: job.sentAt, step, prevEnd };
        prevEnd = await ctx.run(`s${step}`, () => {
          started(link);
          return preciseNow();
        });
      }
      completed();
    },
  },
});

await restate.serve({
  services: [bench],
  port: Number(process.env.BENCH_SERVICE_PORT),
  logger: (meta, message, ...rest) => {
    if (meta.level === "error") console.error("restate service:", message, ...rest);
  },
});
serveSamples();
