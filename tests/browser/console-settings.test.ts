import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { chromiumMissing } from "../support/browser.js";
import { consoleSession } from "../support/console-session.js";
import { startHttpPeer } from "../support/peers.js";

/**
 * The settings page in a real browser against `npm start`: the organization's plan, its webhook signing secret
 * (revealed, then rotated with an overlap, and a delivery verified with the revealed secret as a receiver would),
 * and, for an operator, every organization's plan set from a form.
 */
describe.skipIf(chromiumMissing)("console in a browser: settings", () => {
  const s = consoleSession("jobdeck-ui-settings-");

  it("shows the plan and reveals and rotates the webhook secret; a delivery verifies with it", async () => {
    await s.page.goto(`${s.stack.baseUrl}/settings`);
    await s.page.getByTestId("my-plan").filter({ hasText: "pending jobs" }).waitFor();
    const secret = s.page.getByTestId("webhook-secret");
    await secret.filter({ hasText: "whsec_" }).waitFor();
    expect(await secret.textContent()).toContain("…");
    // Revealing fetches the secret in full (and records it in the audit trail): wait for it.
    await s.page.getByRole("button", { name: "Reveal" }).click();
    await s.page.getByRole("button", { name: "Hide" }).waitFor();
    const revealed = (await secret.textContent()) ?? "";
    expect(revealed).toMatch(/^whsec_[A-Za-z0-9+/=]{32}$/);

    // A delivery, verified the way a receiver verifies it, with the secret the page showed.
    const peer = await startHttpPeer((_req, res) => {
      res.writeHead(204);
      res.end();
    });
    try {
      await s.api("/api/jobs", { type: "deliver-webhook", payload: { url: `${peer.url}/hook`, body: { from: "settings" } } });
      await expect.poll(() => peer.requests.length, { timeout: 30_000 }).toBe(1);
      const hit = peer.requests[0] as { body: string; headers: Record<string, string> };
      expect(new Webhook(revealed).verify(hit.body, hit.headers)).toEqual({ from: "settings" });
    } finally {
      await peer.close();
    }
    await s.shot("settings-webhook-secret");

    await s.page.getByRole("button", { name: "Rotate…" }).click();
    await s.page.getByLabel("Overlap (hours)").fill("2");
    await s.page.getByRole("button", { name: "Rotate secret" }).click();
    await s.page.getByRole("status").filter({ hasText: "Deliveries carry both signatures until" }).waitFor();
    await expect.poll(async () => (await secret.textContent()) !== revealed).toBe(true);
    await s.page.getByText("The previous secret").waitFor();
    await s.shot("settings-secret-rotated");
  }, 90_000);

  it("lets an operator set an organization's plan, naming a bad value by field", async () => {
    await s.page.goto(`${s.stack.baseUrl}/settings`);
    const form = s.page.getByRole("form", { name: "Set a plan" });
    await form.waitFor();
    await form.getByLabel("Organization id").fill("org_big_customer");
    await form.getByLabel("Pending jobs (blank: the default)").fill("5000");
    await form.getByLabel("Weight").fill("0");
    await form.getByRole("button", { name: "Save plan" }).click();
    await s.page
      .locator(".error")
      .filter({ hasText: /greater than or equal to 1|>=1/ })
      .waitFor();
    await form.getByLabel("Weight").fill("3");
    await form.getByRole("button", { name: "Save plan" }).click();
    await s.page.getByRole("status").filter({ hasText: "org_big_customer may have 5000 pending jobs, weight 3" }).waitFor();
    const row = s.page.locator('tr[data-org-id="org_big_customer"]');
    await row.waitFor();
    expect(await row.locator("td").nth(1).textContent()).toBe("5,000");
    expect(await row.locator("td").nth(2).textContent()).toBe("3");
    expect((await s.api("/api/plans/org_big_customer")).weight).toBe(3);
    await s.shot("settings-plans");
    expect(s.cspViolations()).toEqual([]);
    expect(s.missing).toEqual([]);
  }, 60_000);
});
