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
});
