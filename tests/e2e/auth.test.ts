import { generateKeyPairSync } from "node:crypto";
import { callJson, type JsonCall } from "@jobdeck/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clerkTestKeys, mintSessionToken } from "../support/clerk.js";
import { AUTH_VARIABLES, type LaunchedStack, launchStack } from "../support/launch-stack.js";
import { ensureNextBuild } from "../support/next-build.js";
import { submitActionForm } from "../support/server-action-form.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

/**
 * Authentication of a production build: Clerk's real middleware verifying locally minted RS256 session tokens
 * (bearer header and session cookie), organization scoping across the REST API and tRPC, and the development
 * identity refused in production without ALLOW_DEV_AUTH.
 */
const keys = clerkTestKeys();
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase("jobdeck_auth");
}, 60_000);

afterAll(async () => {
  await database?.drop();
});

const call = (base: string, path: string, opts: JsonCall = {}) => callJson(`${base}${path}`, opts);

describe("with Clerk (minted session tokens)", () => {
  let stack: LaunchedStack;

  beforeAll(async () => {
    await ensureNextBuild(".next-clerk", { ...process.env, ...keys.env });
    stack = await launchStack({ ...keys.env, NEXT_DIST_DIR: ".next-clerk", DATABASE_URL: database.url });
  }, 300_000);

  afterAll(async () => {
    await stack?.kill();
  }, 30_000);

  const token = (userId: string, orgId: string | null, extra: { ttlSec?: number; issuedAgoSec?: number } = {}) =>
    mintSessionToken(keys.privateKey, { userId, orgId, ...extra });

  it("answers 401 JSON without a session, for REST and tRPC", async () => {
    const rest = await call(stack.baseUrl, "/api/jobs");
    expect(rest.status).toBe(401);
    expect(rest.body.error.code).toBe("UNAUTHORIZED");
    const trpc = await call(stack.baseUrl, "/api/trpc/job.stats");
    expect(trpc.status).toBe(401);
    expect(trpc.body.error.data.code).toBe("UNAUTHORIZED");
    expect((await call(stack.baseUrl, "/api/dashboard")).status).toBe(401);
    // Health is public.
    expect((await call(stack.baseUrl, "/api/health")).status).toBe(200);
  });

  it("accepts a valid token and scopes every read and write to its organization", async () => {
    const alice = await token("user_alice", "org_acme");
    const created = await call(stack.baseUrl, "/api/jobs", { token: alice, json: { type: "demo-task", payload: {} } });
    expect(created.status).toBe(202);
    const id = created.body.id;
    const row = await call(stack.baseUrl, `/api/jobs/${id}`, { token: alice });
    expect(row.body).toMatchObject({ id, createdBy: "user_alice" });
    const who = await call(stack.baseUrl, "/api/trpc/whoami", { token: alice });
    expect(who.body.result.data).toMatchObject({ userId: "user_alice", orgId: "org_acme", orgRole: "org:admin", source: "clerk" });

    // Another organization's member: 404 everywhere, and an empty list.
    const mallory = await token("user_mallory", "org_other");
    for (const [path, method] of [
      [`/api/jobs/${id}`, "GET"],
      [`/api/jobs/${id}/status`, "GET"],
      [`/api/jobs/${id}/cancel`, "POST"],
      [`/api/jobs/${id}/retry`, "POST"],
    ] as const) {
      const res = await call(stack.baseUrl, path, { token: mallory, method });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    expect((await call(stack.baseUrl, "/api/jobs", { token: mallory })).body.items).toEqual([]);
    const byIdOverTrpc = await call(stack.baseUrl, `/api/trpc/job.byId?input=${encodeURIComponent(JSON.stringify({ id }))}`, {
      token: mallory,
    });
    expect(byIdOverTrpc.status).toBe(404);

    // A colleague in the same organization sees it.
    const bob = await token("user_bob", "org_acme");
    expect((await call(stack.baseUrl, `/api/jobs/${id}`, { token: bob })).status).toBe(200);
    // A user with no active organization works in a personal workspace.
    const solo = await token("user_solo", null);
    expect((await call(stack.baseUrl, `/api/jobs/${id}`, { token: solo })).status).toBe(404);
    expect((await call(stack.baseUrl, "/api/trpc/whoami", { token: solo })).body.result.data.scope.orgId).toBe("personal:user_solo");
  });

  it("rejects expired tokens and tokens signed by another key", async () => {
    const expired = await token("user_alice", "org_acme", { issuedAgoSec: 600, ttlSec: 60 });
    expect((await call(stack.baseUrl, "/api/jobs", { token: expired })).status).toBe(401);
    const stranger = generateKeyPairSync("rsa", { modulusLength: 2048, publicExponent: 0x10001 }).privateKey;
    const forged = await mintSessionToken(stranger, { userId: "user_alice", orgId: "org_acme" });
    expect((await call(stack.baseUrl, "/api/jobs", { token: forged })).status).toBe(401);
    const tampered = `${(await token("user_alice", "org_acme")).slice(0, -4)}AAAA`;
    expect((await call(stack.baseUrl, "/api/jobs", { token: tampered })).status).toBe(401);
  });

  it("runs a server action as the signed-in user, in their organization", async () => {
    const alice = await token("user_alice", "org_acme");
    const res = await submitActionForm(stack.baseUrl, "/jobs", { delayMs: "0", priority: "3" }, { authorization: `Bearer ${alice}` });
    expect(res.status).toBe(303);
    const id = /^\/jobs\/([0-9a-f-]{36})$/.exec(new URL(res.headers.get("location") ?? "", stack.baseUrl).pathname)?.[1];
    const job = await call(stack.baseUrl, `/api/jobs/${id}`, { token: alice });
    expect(job.body).toMatchObject({ source: "UI", createdBy: "user_alice", priority: 3 });
    expect((await call(stack.baseUrl, `/api/jobs/${id}`, { token: await token("user_mallory", "org_other") })).status).toBe(404);
    // Signed out, the same action is refused.
    const anonymous = await submitActionForm(stack.baseUrl, "/jobs", { delayMs: "0" }, { authorization: `Bearer ${alice}` }, {});
    expect(new URL(anonymous.headers.get("location") ?? "", stack.baseUrl).searchParams.get("error")).toContain("sign in");
  });

  it("accepts the session cookie a browser sends", async () => {
    const session = await token("user_alice", "org_acme");
    const iat = Math.floor(Date.now() / 1000) - 60;
    const res = await call(stack.baseUrl, "/api/dashboard", {
      cookie: `__session=${session}; __client_uat=${iat}; __clerk_db_jwt=dvb_test`,
    });
    expect(res.status).toBe(200);
    expect(res.body.jobs.total).toBeGreaterThanOrEqual(1);
  });
});

describe("without Clerk in production", () => {
  it("refuses the development identity unless ALLOW_DEV_AUTH=1", async () => {
    const buildEnv = { ...process.env };
    delete buildEnv.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY;
    await ensureNextBuild(".next", buildEnv);
    const clerkVars = AUTH_VARIABLES;
    const refused = await launchStack({ DATABASE_URL: database.url }, clerkVars);
    try {
      const res = await call(refused.baseUrl, "/api/jobs");
      expect(res.status).toBe(503);
      expect(res.body.error.message).toContain("ALLOW_DEV_AUTH=1");
      expect((await call(refused.baseUrl, "/api/trpc/job.stats")).status).toBe(503);
    } finally {
      await refused.kill();
    }
    const allowed = await launchStack({ DATABASE_URL: database.url, ALLOW_DEV_AUTH: "1" }, clerkVars);
    try {
      const res = await call(allowed.baseUrl, "/api/trpc/whoami");
      expect(res.body.result.data).toMatchObject({ userId: "user_dev", source: "dev" });
    } finally {
      await allowed.kill();
    }
  }, 300_000);
});
