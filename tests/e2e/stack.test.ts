import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../engine/test/support/child-engine.js";

/**
 * The production stack exactly as `npm start` runs it on a fresh machine: embedded PostgreSQL, migrations, the
 * embedded engine and `next start` serving the real inngest/next handler; the demo task runs end to end.
 */
describe("npm start (embedded database and engine)", () => {
  let stack: ChildProcess;
  let engineUrl: string;
  let output = "";
  const dataDir = join(mkdtempSync(join(tmpdir(), "jobdeck-stack-")), "pglite");

  beforeAll(async () => {
    if (!existsSync(join(".next", "BUILD_ID"))) {
      const b = spawnSync("npm", ["run", "build"], { stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
      if (b.status !== 0) throw new Error("npm run build failed");
    }
    const [port, enginePort] = [await freePort(), await freePort()];
    engineUrl = `http://127.0.0.1:${enginePort}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      ENGINE_PORT: String(enginePort),
      JOBDECK_DATA_DIR: dataDir,
      ENGINE_RETRY_INTERVAL: "100ms",
      LOG_LEVEL: "warn",
    };
    delete env.DATABASE_URL;
    delete env.INNGEST_DEV;
    delete env.INNGEST_BASE_URL;
    stack = spawn(process.execPath, ["--import", "tsx", "scripts/dev.ts", "--prod"], { env, stdio: ["ignore", "pipe", "pipe"] });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`stack did not start:\n${output}`)), 120_000);
      const onData = (d: Buffer) => {
        output += String(d);
        if (output.includes("ready")) {
          clearTimeout(timer);
          resolve();
        }
      };
      stack.stdout?.on("data", onData);
      stack.stderr?.on("data", (d) => (output += String(d)));
      stack.on("exit", (code) => reject(new Error(`stack exited ${code}:\n${output}`)));
    });
  }, 240_000);

  afterAll(() => {
    if (stack && stack.exitCode === null) stack.kill("SIGKILL");
  });

  const runs = async () =>
    (await (await fetch(`${engineUrl}/v1/runs?function_id=jobdeck-demo-task&limit=100`)).json()).data as Array<Record<string, any>>;
  const send = (data: Record<string, unknown>) =>
    fetch(`${engineUrl}/e/key`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([{ name: "demo/task.requested", data }]),
    });

  it("runs the demo task: five steps on success, retries then failure at failAtStep", async () => {
    await send({ taskId: "ok-1", delayMs: 300 });
    await send({ taskId: "bad-1", simulateFailure: true, failAtStep: 2 });
    const deadline = Date.now() + 60_000;
    let list: Array<Record<string, any>> = [];
    while (Date.now() < deadline) {
      list = await runs();
      if (list.length === 2 && list.every((r) => r.status === "Completed" || r.status === "Failed")) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const ok = list.find((r) => r.output?.taskId === "ok-1");
    const bad = list.find((r) => r.status === "Failed");
    expect(ok?.status).toBe("Completed");
    const okTrace = (await (await fetch(`${engineUrl}/v1/runs/${ok?.run_id}`)).json()).data.steps as Array<Record<string, any>>;
    expect(okTrace.filter((s) => s.kind === "step").map((s) => s.name)).toEqual([
      "step-1-initialize",
      "step-2-validate",
      "step-3-process",
      "step-4-persist",
      "step-5-finalize",
    ]);
    expect(okTrace.find((s) => s.name === "step-3-process")?.duration_ms).toBeGreaterThanOrEqual(290);
    expect(bad?.error?.message).toContain("simulated failure at step 2");
    const badTrace = (await (await fetch(`${engineUrl}/v1/runs/${bad?.run_id}`)).json()).data.steps as Array<Record<string, any>>;
    expect(badTrace.filter((s) => s.name === "step-2-validate").map((s) => s.status)).toEqual(["errored", "errored", "errored", "failed"]);
  }, 90_000);

  it("stops cleanly on Ctrl-C and releases the database folder", async () => {
    const exited = new Promise<number | null>((resolve) => stack.on("exit", (code) => resolve(code)));
    stack.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(existsSync(`${dataDir}.lock`)).toBe(false);
  }, 30_000);
});
