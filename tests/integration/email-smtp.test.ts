import { randomBytes } from "node:crypto";
import { freePort, until } from "@jobdeck/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killNow, startAppChild } from "../support/app-child.js";
import { type AppStack, finishedJob as finished, startAppStack } from "../support/app-stack.js";
import { startSmtpPeer } from "../support/peers.js";

/**
 * The welcome email over a real SMTP server started here: delivered once; SMTP refusing → retries then FAILED
 * with the reason; and the app killed between the reservation and the server's answer → the retry reports
 * "unknown, not resent" and the server has exactly one message.
 */
let stack: AppStack;
let smtp: Awaited<ReturnType<typeof startSmtpPeer>>;
const org = () => `org_${randomBytes(4).toString("hex")}`;

beforeAll(async () => {
  smtp = await startSmtpPeer();
  // A slower retry than the other suites: the crash test restarts the app process within the backoff.
  stack = await startAppStack({ SMTP_URL: smtp.url }, { engineBackoffMs: 1500 });
});

afterAll(async () => {
  await stack?.stop();
  await smtp?.close();
});

describe("send-welcome-email over SMTP", () => {
  it("delivers through the SMTP server", async () => {
    const api = stack.caller(org());
    const before = smtp.received.length;
    const { job } = await api.job.create({
      type: "send-welcome-email",
      payload: { email: "bo@example.com", name: "Bo", message: "Hello" },
      idempotencyKey: "bo-1",
    });
    const done = await finished(api, job.id);
    expect(done.result).toMatchObject({ sent: "sent", transport: "smtp", accepted: ["bo@example.com"] });
    expect(smtp.received.length - before).toBe(1);
    expect(smtp.received.at(-1)?.raw).toContain("Subject: Welcome, Bo!");
    expect(await api.mailbox.list()).toEqual([]);
  });

  it("retries while the server refuses, then fails with the reason", async () => {
    const orgId = org();
    const api = stack.caller(orgId);
    smtp.state.mode = "refuse";
    try {
      const { job } = await api.job.create({
        type: "send-welcome-email",
        payload: { email: "cy@example.com", name: "Cy" },
        idempotencyKey: "cy-1",
      });
      const done = await finished(api, job.id);
      expect(done.status).toBe("FAILED");
      expect(done.error).toMatchObject({ message: expect.stringContaining("mailbox temporarily unavailable") });
      expect(done.steps.filter((s) => s.name === "send").map((s) => s.status)).toEqual([
        "ERRORED",
        "ERRORED",
        "ERRORED",
        "ERRORED",
        "FAILED",
      ]);
      // Each refusal released the reservation, so nothing blocks a later retry of the job.
      expect(await stack.db().sideEffect.count({ where: { key: `email:welcome:${orgId}:${job.id}` } })).toBe(0);
    } finally {
      smtp.state.mode = "accept";
    }
  }, 90_000);

  it("never sends twice when the app dies between reserving and completing the send", async () => {
    const port = await freePort();
    const startApp = () => startAppChild(port, { SMTP_URL: smtp.url });
    let app = await startApp();
    // Route this app's functions to the child process instead of the in-test server.
    const sync = await stack.engine.apps.syncUrl(`http://127.0.0.1:${port}/api/inngest`);
    expect(sync.ok).toBe(true);
    try {
      const orgId = org();
      const api = stack.caller(orgId);
      smtp.state.mode = "hold";
      const before = smtp.received.length;
      const { job } = await api.job.create({
        type: "send-welcome-email",
        payload: { email: "dee@example.com", name: "Dee" },
        idempotencyKey: "dee-1",
      });
      await until("the SMTP server has the message and holds its answer", async () => smtp.received.length > before);
      const reservation = await stack.db().sideEffect.findUniqueOrThrow({ where: { key: `email:welcome:${orgId}:${job.id}` } });
      expect(reservation.completedAt).toBeNull();

      await killNow(app);
      smtp.state.mode = "accept";
      app = await startApp();

      const done = await finished(api, job.id);
      expect(done.status).toBe("COMPLETED");
      expect(done.result).toMatchObject({ sent: "unknown, not resent", to: "dee@example.com" });
      expect(smtp.received.length - before).toBe(1);
    } finally {
      smtp.state.mode = "accept";
      app.kill("SIGKILL");
      await stack.engine.apps.syncUrl(stack.appUrl);
    }
  }, 120_000);
});
