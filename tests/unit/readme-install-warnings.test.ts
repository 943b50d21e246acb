import { readFileSync } from "node:fs";
import semver from "semver";
import { describe, expect, it } from "vitest";

/**
 * `npm install` on Node 20 warns EBADENGINE for every locked package that asks for a newer Node; README's
 * troubleshooting entry must name each of them, so a newcomer never meets a warning the README does not explain.
 */
describe("README's install warnings", () => {
  it("names every package npm warns EBADENGINE about on Node 20", () => {
    const lock = JSON.parse(readFileSync("package-lock.json", "utf8")) as {
      packages: Record<string, { version?: string; engines?: { node?: string } }>;
    };
    const warned = Object.entries(lock.packages)
      .filter(([, p]) => p.engines?.node && !semver.satisfies("20.19.0", p.engines.node))
      .map(([path]) => path.replace(/^.*node_modules\//, ""));
    expect(warned.length).toBeGreaterThan(0);
    const readme = readFileSync("README.md", "utf8");
    const entry = readme.slice(readme.indexOf("warns `EBADENGINE`"), readme.indexOf("\n- **", readme.indexOf("warns `EBADENGINE`")));
    for (const name of warned) expect(entry, `README does not explain the warning about ${name}`).toContain(`\`${name}`);
  });
});
