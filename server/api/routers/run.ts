import { z } from "zod";
import { searchLogs, searchLogsInput } from "../../services/logs/search-logs";
import { getRun } from "../../services/runs/get-run";
import { listRuns, listRunsInput } from "../../services/runs/list-runs";
import { replayFailedInput, replayFailedRuns } from "../../services/runs/replay-failed-runs";
import { replayRun, replayRunInput } from "../../services/runs/replay-run";
import { protectedProcedure, router } from "../trpc";

/** Every run of every function (job or not), its trace and logs, and replays; scoped to the caller's organization. */
export const runRouter = router({
  list: protectedProcedure.input(listRunsInput).query(({ ctx, input }) => listRuns(ctx.scope, ctx.operator, input)),
  byId: protectedProcedure
    .input(z.object({ runId: z.string().min(1).max(64) }))
    .query(({ ctx, input }) => getRun(ctx.scope, ctx.operator, input.runId)),
  replay: protectedProcedure.input(replayRunInput).mutation(({ ctx, input }) => replayRun(ctx.scope, ctx.operator, input)),
  /** Replay every failed run of a filter; with `preview`, only how many that would be. */
  replayFailed: protectedProcedure.input(replayFailedInput).mutation(({ ctx, input }) => replayFailedRuns(ctx.scope, ctx.operator, input)),
  logs: protectedProcedure.input(searchLogsInput).query(({ ctx, input }) => searchLogs(ctx.scope, ctx.operator, input)),
});
