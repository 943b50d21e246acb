import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { chromiumMissing, launchBrowser } from "../support/browser.js";
import { consoleSession } from "../support/console-session.js";
import { launchFreshMachineStack } from "../support/launch-stack.js";

/**
 * The operating pages in a real browser against `npm start`: an admin adds an alert rule (a bad value named by
 * field), failures make it fire on the evaluate-alerts cron, the rule shows Firing and its history the notification
 * (the local mailbox got it); the audit trail lists the changes and filters by action. Then the same console as a
 * viewer (DEV_ORG_ROLE): no create form, no bulk or job buttons, no rule form, and a webhook's headers masked.
 */
describe.skipIf(chromiumMissing)("console in a browser: alerts, audit, roles", () => {
  const s = consoleSession("jobdeck-ui-operate-");

  it("adds an alert rule that fires on failures, shows its history, and lists the changes in the audit trail", async () => {
    await s.page.goto(`${s.stack.baseUrl}/alerts`);
    const form = s.page.getByRole("form", { name: "New alert rule" });
    await form.waitFor();
    await form.getByLabel("Name").fill("Demo failures");
    await form.getByLabel("When").selectOption("FAILURES");
    await form.getByLabel(/^Threshold/).fill("0");
    await form.getByLabel("Address").fill("ops@example.com");
    await form.getByRole("button", { name: "Add rule" }).click();
    await s.page.locator(".error").filter({ hasText: "a whole number of jobs, at least 1" }).waitFor();
    await form.getByLabel(/^Threshold/).fill("2");
    await form.getByLabel("Job type").selectOption("demo-task");
    await form.getByRole("button", { name: "Add rule" }).click();
    await s.page.getByRole("status").filter({ hasText: 'Added "Demo failures"' }).waitFor();
    const row = s.page.locator('tr[data-rule="Demo failures"]');
    await row.waitFor();

    for (let i = 0; i < 2; i++) await s.api("/api/jobs", { type: "demo-task", payload: { simulateFailure: true, failAtStep: 1 } });
    // The cron evaluates every minute: the rule fires within a couple of minutes of the failures.
    await row.getByText("Firing").waitFor({ timeout: 150_000 });
    await s.shot("alerts-rules-firing");
    await row.getByRole("link", { name: "Demo failures" }).click();
    await s.page.locator('tr[data-alert-event="FIRING"]').waitFor();
    await s.page
      .locator('tr[data-alert-event="FIRING"]')
      .getByText(/\d\d:\d\d/)
      .first()
      .waitFor({ timeout: 60_000 });
    await s.shot("alerts-history");
    const mail = (await s.api("/api/trpc/mailbox.list")) as { result: { data: Array<{ subject: string }> } };
    expect(mail.result.data.map((m) => m.subject)).toContain("[Jobdeck] Alert: Demo failures");

    await s.page.goto(`${s.stack.baseUrl}/audit`);
    await s.page.locator('tr[data-action="alertRule.create"]').waitFor();
    expect(await s.page.locator('tr[data-action="job.create"]').count()).toBeGreaterThanOrEqual(2);
    await s.page.getByLabel("Action").selectOption("alertRule.");
    await expect.poll(() => s.page.locator('tr[data-action="job.create"]').count()).toBe(0);
    await s.page.locator('tr[data-action="alertRule.create"]').waitFor();
    await s.page.getByLabel("Action").selectOption("");
    await s.page.locator('tr[data-action="job.create"]').first().waitFor();
    await s.shot("audit-trail");
    expect(s.cspViolations()).toEqual([]);
    expect(s.missing).toEqual([]);
  }, 240_000);

  it("offers a viewer nothing it cannot do, and masks sensitive payload fields", async () => {
    await s.stack.kill();
    const dataDir = join(mkdtempSync(join(tmpdir(), "jobdeck-ui-viewer-")), "pglite");
    const viewer = await launchFreshMachineStack(dataDir, { DEV_ORG_ROLE: "org:viewer" });
    const browser = await launchBrowser();
    try {
      // A job made by a script (the system acts as the organization's admin), with a credential in its headers.
      const made = spawnSync(
        "npm",
        [
          "run",
          "-s",
          "jobs:enqueue",
          "--",
          "deliver-webhook",
          '{"url":"https://hooks.example.com/in","headers":{"Authorization":"Bearer s3cr3t"}}',
        ],
        {
          encoding: "utf8",
          env: { ...process.env, JOBDECK_DATA_DIR: dataDir, ENGINE_PORT: new URL(viewer.engineUrl).port, DATABASE_URL: "" },
        },
      );
      expect(made.status, made.stderr).toBe(0);
      const { id } = JSON.parse(made.stdout.trim().split("\n").at(-1) as string) as { id: string };
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();

      await page.goto(`${viewer.baseUrl}/jobs`);
      await page.getByTestId("read-only").waitFor();
      expect(await page.getByRole("button", { name: "Cancel selected" }).count()).toBe(0);
      expect(await page.getByRole("link", { name: "New job" }).count()).toBe(0);
      expect(await page.getByText("Quick demo task").count()).toBe(0);

      await page.goto(`${viewer.baseUrl}/jobs/${id}`);
      await page.getByRole("heading", { level: 1 }).waitFor();
      await page.getByText("••••••").first().waitFor();
      expect(await page.content()).not.toContain("s3cr3t");
      for (const name of ["Replay", "Retry", "Cancel job"])
        expect(await page.getByRole("button", { name, exact: true }).count(), name).toBe(0);

      await page.goto(`${viewer.baseUrl}/jobs/new`);
      await page.getByTestId("read-only").waitFor();
      await page.goto(`${viewer.baseUrl}/alerts`);
      await page.getByTestId("read-only").waitFor();
      expect(await page.getByRole("form", { name: "New alert rule" }).count()).toBe(0);
      // And the server says no by itself.
      const refused = await fetch(`${viewer.baseUrl}/api/jobs`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ type: "demo-task", payload: {} }),
      });
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/your role \(viewer\) can only read/);
    } finally {
      await browser.close();
      await viewer.kill();
    }
  }, 240_000);
});
