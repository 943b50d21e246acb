import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { callJson, type JsonCall, until } from "@jobdeck/test-kit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stackKeysPath } from "../../scripts/lib/stack-keys.js";
import { clerkTestKeys, mintSessionToken } from "../support/clerk.js";
import { type LaunchedStack, launchStack } from "../support/launch-stack.js";
import { ensureNextBuild } from "../support/next-build.js";
import { submitActionForm } from "../support/server-action-form.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

/**
 * A production build with Clerk and two organizations. Mallory (admin of org_a) tries every indirect path to
 * org_b's jobs — console events, outbound requests into the engine, pausing, minting credits, health, the
 * functions page, a forged cross-site request riding on a victim's cookie, the engine's API itself — and org_b's
 * rows are compared row by row before and after: 0 changes. Also what the public sees: health and headers.
 */
const keys = clerkTestKeys();
let database: TestDatabase;
let stack: LaunchedStack;
const dataDir = join(".data", `clerk-sec-${process.pid}`);

beforeAll(async () => {
  database = await createTestDatabase("jobdeck_sec");
  await ensureNextBuild(".next-clerk", { ...process.env, ...keys.env });
  stack = await launchStack({
    ...keys.env,
    NEXT_DIST_DIR: ".next-clerk",
    DATABASE_URL: database.url,
    JOBDECK_DATA_DIR: dataDir,
    JOBDECK_OPERATORS: "user_ops",
  });
}, 300_000);
afterAll(async () => {
  await stack?.kill();
  await database?.drop();
  rmSync(stackKeysPath(dataDir), { force: true });
}, 60_000);

const token = (userId: string, orgId: string | null, role = "admin") => mintSessionToken(keys.privateKey, { userId, orgId, orgRole: role });

const call = (path: string, opts: JsonCall = {}) => callJson(`${stack.baseUrl}${path}`, opts);
const trpcMutation = (path: string, input: unknown, t: string) => call(`/api/trpc/${path}`, { token: t, json: input });
const trpcQuery = (path: string, t: string, input?: unknown) =>
  call(`/api/trpc/${path}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`, { token: t });

async function rowsOf(orgId: string) {
  const c = new pg.Client({ connectionString: database.url });
  await c.connect();
  try {
    const q = async (sql: string) => (await c.query(sql, [orgId])).rows;
    return {
      jobs: await q(`SELECT * FROM "Job" WHERE "orgId" = $1 ORDER BY id`),
      steps: await q(`SELECT s.* FROM "JobStep" s JOIN "Job" j ON j.id = s."jobId" WHERE j."orgId" = $1 ORDER BY s.id`),
      outbox: await q(`SELECT o.* FROM "OutboxEvent" o JOIN "Job" j ON j.id = o."jobId" WHERE j."orgId" = $1 ORDER BY o.id`),
      sideEffects: await q(`SELECT e.* FROM "SideEffect" e JOIN "Job" j ON j.id = e."jobId" WHERE j."orgId" = $1 ORDER BY e.key`),
      mailbox: await q(`SELECT * FROM "MailboxMessage" WHERE "orgId" = $1 ORDER BY id`),
      credits: await q(`SELECT * FROM "CreditAccount" WHERE "orgId" = $1 ORDER BY "userId"`),
    };
  } finally {
    await c.end();
  }
}

describe("organization A against organization B's jobs", () => {
  it("changes none of B's rows by any indirect path", async () => {
    const bob = await token("user_bob", "org_b");
    const approval = (await call("/api/jobs", { token: bob, json: { type: "approval-workflow", payload: { title: "Wire funds" } } })).body
      .id;
    const sleeper = (await call("/api/jobs", { token: bob, json: { type: "demo-task", payload: { sleepFor: "1h" } } })).body.id;
    for (const id of [approval, sleeper]) {
      await until(
        `${id} waiting`,
        async () => (await call(`/api/jobs/${id}/status`, { token: bob })).body.status === "WAITING",
        60_000,
        200,
      );
    }
    const before = await rowsOf("org_b");
    const mallory = await token("user_mallory", "org_a", "admin");
    const engine = new URL(stack.engineUrl);

    // 1. Console events: the app's own names are refused; a free-form event gets org_a whatever it claims.
    for (const name of ["approval/decision.made", "jobdeck/job.cancel.requested", "demo/task.requested"]) {
      const res = await trpcMutation("system.sendEvent", { name, data: { jobId: approval, orgId: "org_b", decision: "approve" } }, mallory);
      expect(res.status, name).toBe(400);
    }
    const sent = await trpcMutation("system.sendEvent", { name: "custom/hello", data: { jobId: sleeper, orgId: "org_b" } }, mallory);
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    // 2. Outbound requests into the engine's API, by any spelling.
    for (const url of [
      `${stack.engineUrl}/v1/runs/cancel`,
      `http://localhost:${engine.port}/v1/functions/jobdeck-demo-task/pause`,
      `http://[::ffff:127.0.0.1]:${engine.port}/v1/runs/replay`,
    ]) {
      for (const type of ["deliver-webhook", "process-with-credits"]) {
        expect((await call("/api/jobs", { token: mallory, json: { type, payload: { url } } })).status, `${type} ${url}`).toBe(400);
      }
    }
    // 3. Pausing (an admin is not an operator) and minting credits.
    expect((await trpcMutation("system.setPaused", { id: "jobdeck-demo-task", paused: true }, mallory)).status).toBe(403);
    expect((await call("/api/credits", { token: mallory, json: { amount: 1_000_000 } })).status).toBe(403);
    expect((await call("/api/credits", { token: mallory, json: { amount: 5, userId: "user_bob" } })).status).toBe(403);
    // 4. What A can read about B: nothing in health, the functions page or the events list.
    const health = (await call("/api/health", { token: mallory })).body;
    expect(health.jobs).toEqual({});
    const fns = (await trpcQuery("system.functions", mallory)).body.result.data;
    expect(fns.countsScope).toBe("organization");
    expect(fns.functions.find((f: { id: string }) => f.id === "jobdeck-demo-task").counts_24h).toEqual({});
    const events = (await trpcQuery("system.events", mallory)).body.result.data as Array<{ internal_id: string; name: string }>;
    expect(events.map((e) => e.name)).toContain("custom/hello");
    for (const e of events) {
      const detail = (await trpcQuery("system.event", mallory, { id: e.internal_id })).body.result.data;
      expect(detail.data.orgId, e.name).toBe("org_a");
    }
    // B's events are not A's to open, even by id.
    const { body: bobs } = await trpcQuery("system.events", bob);
    const bobEvent = (bobs.result.data as Array<{ internal_id: string }>)[0];
    expect(bobEvent).toBeDefined();
    expect((await trpcQuery("system.event", mallory, { id: bobEvent?.internal_id })).status).toBe(404);
    // 5. A forged cross-site request riding on Bob's session cookie.
    const iat = Math.floor(Date.now() / 1000) - 60;
    const cookie = `__session=${bob}; __client_uat=${iat}; __clerk_db_jwt=dvb_test`;
    const forged: Array<Record<string, string>> = [
      { cookie, origin: "https://evil.example", "content-type": "application/json" },
      { cookie, "sec-fetch-site": "cross-site", "content-type": "application/json" },
      { cookie, "content-type": "text/plain" },
    ];
    for (const headers of forged) {
      const body = JSON.stringify({ decision: "approve" });
      expect((await call(`/api/jobs/${sleeper}/cancel`, { method: "POST", headers, body: "{}" })).status).toBeGreaterThanOrEqual(403);
      expect((await call(`/api/jobs/${approval}/decision`, { method: "POST", headers, body })).status).toBeGreaterThanOrEqual(403);
    }
    // 6. The engine's API straight from this machine, without the installation's key.
    for (const [path, body] of [
      ["/v1/runs/cancel", { function_id: "jobdeck-demo-task" }],
      ["/v1/functions/jobdeck-demo-task/pause", {}],
      ["/e/NO_EVENT_KEY_SET", [{ name: "approval/decision.made", data: { jobId: approval, orgId: "org_b", decision: "approve" } }]],
    ] as const) {
      const res = await fetch(`${stack.engineUrl}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      expect(res.status, path).toBe(401);
    }
    // 7. The direct doors stay shut (404, not 403).
    expect((await call(`/api/jobs/${approval}/decision`, { token: mallory, json: { decision: "approve" } })).status).toBe(404);
    expect((await call(`/api/jobs/${sleeper}/cancel`, { token: mallory, method: "POST" })).status).toBe(404);

    // Whatever the attempts set off has run its course: only B's two sleeping runs are still active.
    const key = JSON.parse(readFileSync(stackKeysPath(dataDir), "utf8")).signingKey as string;
    await until(
      "nothing else running",
      async () => {
        const res = await fetch(`${stack.engineUrl}/v1/runs?status=queued,running&limit=100`, {
          headers: { authorization: `Bearer ${key}` },
        });
        return ((await res.json()) as { data: unknown[] }).data.length === 2;
      },
      60_000,
      200,
    );
    expect(await rowsOf("org_b")).toEqual(before);
  }, 180_000);
});

describe("what the public sees", () => {
  it("health: liveness to the public, own counts to members, everything to operators", async () => {
    const anon = await call("/api/health");
    expect(anon.status).toBe(200);
    expect(Object.keys(anon.body).sort()).toEqual(["checks", "status"]);
    const member = await call("/api/health", { token: await token("user_bob", "org_b", "member") });
    expect(Object.keys(member.body).sort()).toEqual(["checks", "jobs", "status"]);
    expect(Object.keys(member.body.jobs)).toEqual(expect.arrayContaining(["approval-workflow"]));
    const operator = await call("/api/health", { token: await token("user_ops", "org_ops") });
    expect(operator.body).toMatchObject({ engine: { ok: true }, outbox: { pending: expect.any(Number) } });
    expect(Object.keys(operator.body.jobs)).toEqual(expect.arrayContaining(["approval-workflow", "demo-task"]));
  });

  it("every page and API answer carries the security headers; pages a nonce-based CSP that their scripts carry", async () => {
    const page = await call("/");
    const csp = page.headers.get("content-security-policy") ?? "";
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toContain("'unsafe-eval'");
    const scripts = [...String(page.body).matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const s of scripts) expect(s).toContain(`nonce="${nonce}"`);
    // A second request gets another nonce.
    expect((await call("/")).headers.get("content-security-policy")).not.toBe(csp);
    for (const res of [page, await call("/api/health"), await call("/api/jobs")]) {
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("x-powered-by")).toBeNull();
    }
    // An API answer loads nothing: its policy allows nothing and needs no nonce.
    for (const res of [await call("/api/health"), await call("/api/jobs"), await call("/api/trpc/job.list")]) {
      expect(res.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
    }
  });

  it("keeps this installation's keys out of every answer", async () => {
    const k = JSON.parse(readFileSync(stackKeysPath(dataDir), "utf8")) as { signingKey: string; eventKey: string };
    const operator = await call("/api/health", { token: await token("user_ops", "org_ops") });
    const page = await call("/");
    for (const text of [JSON.stringify(operator.body), String(page.body)]) {
      expect(text).not.toContain(k.signingKey.slice(-20));
      expect(text).not.toContain(k.eventKey);
    }
  });
});

describe("roles through Clerk's real middleware", () => {
  it("answers a viewer's change 403 at every door, and records an admin's change with the request it came in", async () => {
    const viewer = await token("user_vera", "org_c", "viewer");
    const admin = await token("user_ada", "org_c", "admin");
    const why = /your role \(viewer\) can only read/;
    const rest = await call("/api/jobs", { token: viewer, json: { type: "demo-task", payload: {} } });
    expect(rest.status).toBe(403);
    expect(rest.body.error.message).toMatch(why);
    const batch = await call("/api/jobs/batch", { token: viewer, json: { items: [{ type: "demo-task", payload: {} }] } });
    expect(batch.status).toBe(403);
    const rpc = await trpcMutation("job.create", { type: "demo-task", payload: {} }, viewer);
    expect(rpc.status).toBe(403);
    expect(rpc.body.error.message).toMatch(why);
    const alert = await call("/api/alerts", {
      token: viewer,
      json: { name: "x", kind: "BACKLOG", threshold: 1, channel: "EMAIL", target: "a@b.co" },
    });
    expect(alert.status).toBe(403);
    // The page's plain form (its action ids read as an admin would see them), posted as the viewer: refused too.
    const action = await submitActionForm(
      stack.baseUrl,
      "/jobs",
      { delayMs: "0" },
      { authorization: `Bearer ${admin}` },
      { authorization: `Bearer ${viewer}` },
    );
    expect(decodeURIComponent(action.headers.get("location") ?? "")).toMatch(why);
    // Reading is fine.
    expect((await call("/api/jobs", { token: viewer })).status).toBe(200);
    expect((await call("/api/audit", { token: viewer })).body.items).toEqual([]);

    const made = await call("/api/jobs", {
      token: admin,
      json: { type: "approval-workflow", payload: { title: "audited" } },
      headers: { "x-request-id": "req-clerk-42", "user-agent": "roles-test/2.0", "x-forwarded-for": "198.51.100.9, 10.0.0.1" },
    });
    expect(made.status).toBe(202);
    const trail = (await call("/api/audit?action=job.create", { token: viewer })).body.items;
    expect(trail).toHaveLength(1);
    expect(trail[0]).toMatchObject({
      orgId: "org_c",
      actorId: "user_ada",
      actorRole: "admin",
      door: "rest",
      action: "job.create",
      targetId: made.body.id,
      requestId: "req-clerk-42",
      ip: "198.51.100.9",
      userAgent: "roles-test/2.0",
    });
  });
});
