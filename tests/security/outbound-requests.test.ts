import { randomBytes } from "node:crypto";
import { until } from "@jobdeck/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppStack, finishedJob, startAppStack } from "../support/app-stack.js";
import { type HttpPeer, startHttpPeer } from "../support/peers.js";

/**
 * A member's job names a URL; webhooks are posted by the app and step.fetch by the engine. Neither may reach the
 * engine's API (or anything else on this machine or its network), whether the URL names it literally, through a
 * DNS name, or through a redirect from an allowed host. The only allowed local host here is the test's peer port.
 */
let stack: AppStack;
let bouncer: HttpPeer;
let bounceTo = "";
const org = () => `org_${randomBytes(4).toString("hex")}`;

beforeAll(async () => {
  bouncer = await startHttpPeer((_req, res) => {
    res.writeHead(307, { location: bounceTo });
    res.end();
  });
  stack = await startAppStack();
});
afterAll(async () => {
  await stack?.stop();
  await bouncer?.close();
});

async function rejection(p: Promise<unknown>) {
  return p.then(
    () => {
      throw new Error("expected a rejection");
    },
    (err) => err as { code: string; message: string; cause?: { details?: Array<{ path: string; message: string }> } },
  );
}

async function victimSleeping(): Promise<{ orgId: string; id: string; runId: string }> {
  const orgId = org();
  const api = stack.caller(orgId, "user_victim");
  const { job } = await api.job.create({ type: "demo-task", payload: { sleepFor: "1h" } });
  const waiting = await until("victim asleep", async () => {
    const j = await api.job.byId({ id: job.id });
    return j.status === "WAITING" && j.runId ? j : undefined;
  });
  return { orgId, id: job.id, runId: waiting.runId as string };
}

const runStatus = async (runId: string) =>
  ((await (await stack.engineApi(`/v1/runs/${runId}`)).json()) as { data: { status: string } }).data.status;

describe("outbound requests made for a member", () => {
  it("refuses, at creation, URLs that name this machine or a private or metadata address", async () => {
    const api = stack.caller(org(), "user_attacker");
    const engine = new URL(stack.engine.url);
    for (const type of ["deliver-webhook", "process-with-credits"] as const) {
      for (const url of [
        `${stack.engine.url}/v1/runs/cancel`,
        `http://localhost:${engine.port}/v1/runs/cancel`,
        `http://127.1:${engine.port}/e/key`,
        `http://2130706433:${engine.port}/v1/functions/x/pause`,
        `http://[::ffff:7f00:1]:${engine.port}/v1/runs/replay`,
        "http://169.254.169.254/latest/meta-data/iam/",
        "http://10.0.0.5/internal",
        "http://[fd00::1]/",
        `http://[::127.0.0.1]:${engine.port}/v1/runs/cancel`,
      ]) {
        const err = await rejection(api.job.create({ type, payload: { url } }));
        expect(err.code, `${type} ${url}`).toBe("BAD_REQUEST");
        expect(err.message).toMatch(/payload\.url: outbound request to .* refused/);
      }
    }
    expect(await stack.db().job.count({ where: { createdBy: "user_attacker" } })).toBe(0);
  });

  it("answers a URL no HTTP client can use (an IPv6 zone id) with a 400 naming it, not a 500", async () => {
    const api = stack.caller(org(), "user_attacker");
    for (const url of ["http://[fe80::1%25lo]:8200/", "http://[fe80::1%25eth0]/hook"]) {
      const err = await rejection(api.job.create({ type: "deliver-webhook", payload: { url } }));
      expect(err.code, url).toBe("BAD_REQUEST");
      expect(err.message).toMatch(/payload\.url: .*zone/);
    }
    expect(await stack.db().job.count({ where: { createdBy: "user_attacker" } })).toBe(0);
  });

  it("refuses a name that resolves to loopback when the webhook connects", async () => {
    const { postWebhook } = await import("../../server/services/webhooks/deliver-webhook.js");
    const victim = await victimSleeping();
    const url = `http://localhost:${new URL(stack.engine.url).port}/v1/runs/cancel`;
    const err = await postWebhook({ url, payload: {}, orgId: victim.orgId, messageId: "msg_probe" }).catch((e) => e);
    expect(String(err?.cause?.message ?? err)).toMatch(/localhost \((127\.0\.0\.1|::1)\) refused: loopback/);
    expect(await runStatus(victim.runId)).toBe("Running");
  });

  it("does not follow a webhook's redirect into the engine", async () => {
    const victim = await victimSleeping();
    bounceTo = `${stack.engine.url}/v1/runs/cancel`;
    const api = stack.caller(org(), "user_attacker");
    const { job } = await api.job.create({
      type: "deliver-webhook",
      payload: { url: `${bouncer.url}/hook`, body: { function_id: "jobdeck-demo-task" } },
    });
    const done = await finishedJob(api, job.id);
    expect(done.status).toBe("FAILED");
    expect(JSON.stringify(done.error)).toMatch(/answered 307/);
    expect(await runStatus(victim.runId)).toBe("Running");
  });

  it("refuses where a step.fetch redirect leads, and the job fails at once with the reason", async () => {
    const victim = await victimSleeping();
    bounceTo = `${stack.engine.url}/v1/runs/cancel`;
    const orgId = org();
    const api = stack.caller(orgId, "user_attacker");
    const hits = bouncer.requests.length;
    const { job } = await api.job.create({ type: "process-with-credits", payload: { url: `${bouncer.url}/fetch` } });
    const done = await finishedJob(api, job.id);
    expect(done.status).toBe("FAILED");
    expect(JSON.stringify(done.error)).toMatch(/loopback/);
    expect(bouncer.requests.length - hits).toBeGreaterThanOrEqual(1);
    expect(await runStatus(victim.runId)).toBe("Running");
    // No credit was taken for the refused call.
    expect((await api.credits.balance()).balance).toBe(5);
  });
});
