import { randomBytes } from "node:crypto";
import { until } from "@jobdeck/test-kit";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orgWebhookSecrets } from "../../server/services/webhooks/org-secret.js";
import { type AppStack, finishedJob, startAppStack } from "../support/app-stack.js";
import { type HttpPeer, startHttpPeer } from "../support/peers.js";

/**
 * Webhooks are signed per organization (Standard Webhooks), and verified here the way a receiver does, with the
 * `standardwebhooks` library: org_a's receiver accepts org_a's deliveries and nothing org_b can make; a tenant's
 * headers cannot add or replace a signature or the content type; a rotation sends both signatures until the old
 * secret's overlap ends.
 */
let stack: AppStack;
let receiver: HttpPeer;
const org = () => `org_${randomBytes(4).toString("hex")}`;

beforeAll(async () => {
  receiver = await startHttpPeer((_req, res) => {
    res.writeHead(204);
    res.end();
  });
  stack = await startAppStack();
});
afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

async function deliveredTo(orgId: string, path: string, extra: Record<string, unknown> = {}) {
  const api = stack.caller(orgId);
  const { job } = await api.job.create({ type: "deliver-webhook", payload: { url: `${receiver.url}${path}`, body: { path }, ...extra } });
  expect((await finishedJob(api, job.id)).status).toBe("COMPLETED");
  return until("the delivery", () => receiver.requests.find((r) => r.path === path));
}

const verifies = (secret: string, hit: { body: string; headers: Record<string, unknown> }) => {
  try {
    new Webhook(secret).verify(hit.body, hit.headers as Record<string, string>);
    return true;
  } catch (err) {
    if (err instanceof WebhookVerificationError) return false;
    throw err;
  }
};

describe("webhook signatures per organization", () => {
  it("org_a's receiver accepts org_a's deliveries and none of org_b's", async () => {
    const [a, b] = [org(), org()];
    const fromA = await deliveredTo(a, "/a");
    const fromB = await deliveredTo(b, "/b");
    const [secretA, secretB] = [(await orgWebhookSecrets(a)).current, (await orgWebhookSecrets(b)).current];
    expect(secretA).not.toBe(secretB);
    expect(verifies(secretA, fromA)).toBe(true);
    expect(verifies(secretA, fromB)).toBe(false);
    expect(verifies(secretB, fromA)).toBe(false);
    // Headers as the spec names them; the id is the job's.
    expect(fromA.headers["webhook-id"]).toMatch(/^msg_[0-9a-f-]{36}$/);
    expect(Number(fromA.headers["webhook-timestamp"])).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(fromA.headers["content-type"]).toBe("application/json");
  });

  it("refuses tenant headers that would add a signature or change the content type, by name", async () => {
    const api = stack.caller(org());
    for (const name of ["webhook-signature", "Webhook-Id", "WEBHOOK-TIMESTAMP", "Content-Type", "x-jobdeck-signature"]) {
      const err = await api.job
        .create({ type: "deliver-webhook", payload: { url: `${receiver.url}/h`, headers: { [name]: "v1,forged" } } })
        .catch((e: { code: string; message: string }) => e);
      expect((err as { code: string }).code, name).toBe("BAD_REQUEST");
      expect((err as { message: string }).message).toContain(`payload.headers.${name}: ${name} is set by Jobdeck`);
    }
    const twice = await api.job
      .create({ type: "deliver-webhook", payload: { url: `${receiver.url}/h`, headers: { "X-Tenant": "1", "x-tenant": "2" } } })
      .catch((e: { message: string }) => e);
    expect((twice as { message: string }).message).toMatch(/given twice/);
    // A tenant's own header goes through.
    const ok = await deliveredTo(org(), "/own-header", { headers: { "X-Tenant": "yes" } });
    expect(ok.headers["x-tenant"]).toBe("yes");
  });

  it("sends both signatures during a rotation's overlap, then only the new one", async () => {
    const orgId = org();
    const admin = stack.caller(orgId, "user_admin", "org:admin");
    const before = await admin.settings.revealWebhookSecret();
    expect((await admin.settings.webhookSecret()).current).toBe(`${before.current.slice(0, 10)}…${before.current.slice(-4)}`);
    const rotated = await admin.settings.rotateWebhookSecret({ overlapHours: 1 });
    expect(rotated.current).not.toBe(before.current);
    expect(rotated.previous).toBe(before.current);
    const during = await deliveredTo(orgId, "/during");
    expect(String(during.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    expect(verifies(before.current, during)).toBe(true);
    expect(verifies(rotated.current, during)).toBe(true);
    const done = await admin.settings.rotateWebhookSecret({ overlapHours: 0 });
    expect(done.previous).toBeNull();
    const after = await deliveredTo(orgId, "/after");
    expect(verifies(done.current, after)).toBe(true);
    expect(verifies(rotated.current, after)).toBe(false);
  });

  it("shows and rotates the secret for the organization's admins only", async () => {
    const orgId = org();
    const member = stack.caller(orgId, "user_member", "org:member");
    const code = (p: Promise<unknown>) =>
      p.then(
        () => "OK",
        (e: { code: string }) => e.code,
      );
    expect(await code(member.settings.webhookSecret())).toBe("FORBIDDEN");
    expect(await code(member.settings.rotateWebhookSecret({}))).toBe("FORBIDDEN");
    const admin = stack.caller(orgId, "user_admin", "org:admin");
    expect(await code(admin.settings.rotateWebhookSecret({ overlapHours: 99_999 }))).toBe("BAD_REQUEST");
  });
});
