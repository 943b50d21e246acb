import { describe, expect, it } from "vitest";
import { EnvError, parseEnv } from "../../env.js";

describe("env", () => {
  it("applies defaults and validates", () => {
    const e = parseEnv({ DATABASE_URL: "postgres://postgres@127.0.0.1:5432/jobdeck" });
    expect(e.JOBS_MAX_ACTIVE_PER_ORG).toBe(50);
    expect(e.ALLOW_DEV_AUTH).toBe(false);
  });
  it("names each bad variable", () => {
    expect(() => parseEnv({ DATABASE_URL: "mysql://x", JOBS_MAX_ACTIVE_PER_ORG: "lots", INNGEST_SIGNING_KEY: "oops" })).toThrow(EnvError);
    try {
      parseEnv({ DATABASE_URL: "mysql://x", JOBS_MAX_ACTIVE_PER_ORG: "lots", INNGEST_SIGNING_KEY: "oops" });
    } catch (err) {
      const msg = (err as Error).message;
      expect(msg).toContain("DATABASE_URL: must be a postgres:// URL");
      expect(msg).toContain("JOBS_MAX_ACTIVE_PER_ORG");
      expect(msg).toContain("INNGEST_SIGNING_KEY: must look like signkey-<env>-<hex>");
    }
  });
  it("requires DATABASE_URL", () => {
    expect(() => parseEnv({})).toThrow(/DATABASE_URL/);
  });
  it("keeps operator users and organizations apart, and refuses an entry that could be either", () => {
    const url = "postgres://postgres@127.0.0.1:5432/jobdeck";
    expect(parseEnv({ DATABASE_URL: url, JOBDECK_OPERATORS: "user_ops, org_main, user:alice, org:team-7" }).JOBDECK_OPERATORS).toEqual({
      users: ["user_ops", "alice"],
      orgs: ["org_main", "team-7"],
    });
    expect(() => parseEnv({ DATABASE_URL: url, JOBDECK_OPERATORS: "ops" })).toThrow(
      /JOBDECK_OPERATORS: "ops": write user:<id> or org:<id>/,
    );
  });
});
