import axe from "axe-core";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { chromiumMissing } from "../support/browser.js";
import { consoleSession } from "../support/console-session.js";

/**
 * The console in a real browser (Debian's chromium through playwright-core) against `npm start`: the flows
 * people use it for. Each test leaves a screenshot in .test-artifacts/screenshots (git-ignored, kept by CI).
 * The observability pages (logs, runs, replays) are in console-observability.test.ts.
 */
describe.skipIf(chromiumMissing)("console in a browser", () => {
  const s = consoleSession("jobdeck-ui-");

  it("creates a demo job from the form and watches it reach COMPLETED with five steps", async () => {
    await s.page.goto(`${s.stack.baseUrl}/jobs/new`);
    await s.page.getByLabel("Job type", { exact: true }).selectOption("demo-task");
    await s.page.locator("#f-delayMs").fill("400");
    await s.page.getByRole("button", { name: "Create job" }).click();
    await s.page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/);
    await s.page.locator('.status[data-status="COMPLETED"]').first().waitFor({ timeout: 30_000 });
    await expect.poll(() => s.page.locator('li.step[data-step-status="COMPLETED"]').count()).toBe(5);
    expect(await s.page.locator("li.step").allInnerTexts()).toHaveLength(5);
    const id = s.page.url().split("/").at(-1) as string;
    expect((await s.api(`/api/jobs/${id}`)).source).toBe("UI");
    await s.shot("job-detail-completed");
  }, 60_000);

  it("shows field-level validation messages from the server", async () => {
    await s.page.goto(`${s.stack.baseUrl}/jobs/new`);
    await s.page.getByLabel("Job type", { exact: true }).selectOption("demo-task");
    await s.page.locator("#f-delayMs").fill("99999");
    await s.page.getByRole("button", { name: "Create job" }).click();
    await expect.poll(() => s.page.locator("#err-delayMs").textContent()).toContain("30000");
    expect(await s.page.locator("#f-delayMs").getAttribute("aria-invalid")).toBe("true");
    await s.shot("create-job-validation");
  });

  it("a failing job raises the failed badge and shows its error", async () => {
    await s.page.goto(`${s.stack.baseUrl}/jobs`);
    const before = await s.badgeCount();
    const { id } = await s.api("/api/jobs", { type: "demo-task", payload: { simulateFailure: true, failAtStep: 2 } });
    await expect.poll(s.badgeCount, { timeout: 30_000 }).toBe(before + 1);
    await s.page.goto(`${s.stack.baseUrl}/jobs/${id}`);
    await s.page.getByRole("alert").filter({ hasText: "simulated failure at step 2" }).first().waitFor();
    await s.shot("job-detail-failed");
    // Acknowledged from the list, the failure leaves the badge (the job stays FAILED).
    await s.page.goto(`${s.stack.baseUrl}/jobs?status=FAILED`);
    await s.page.getByLabel(`Select job ${id.slice(0, 8)}`).check();
    await s.page.getByRole("button", { name: "Acknowledge failures" }).click();
    await s.page.getByRole("button", { name: "Acknowledge 1 failure" }).click();
    await s.page.getByRole("status").filter({ hasText: "Acknowledged 1 of 1" }).waitFor();
    await expect.poll(s.badgeCount, { timeout: 10_000 }).toBe(before);
    expect((await s.api(`/api/jobs/${id}`)).status).toBe("FAILED");
  }, 60_000);

  it("bulk-retries two failed jobs after a confirmation with the count", async () => {
    const a = (await s.api("/api/jobs", { type: "demo-task", payload: { simulateFailure: true, failAtStep: 1, taskId: "bulk-a" } })).id;
    const b = (await s.api("/api/jobs", { type: "demo-task", payload: { simulateFailure: true, failAtStep: 1, taskId: "bulk-b" } })).id;
    await s.page.goto(`${s.stack.baseUrl}/jobs`);
    await s.page.getByLabel("Payload contains").fill("bulk-");
    for (const id of [a, b]) await s.page.locator(`tr[data-job-id="${id}"] .status[data-status="FAILED"]`).waitFor({ timeout: 30_000 });
    await s.page.getByLabel(`Select job ${a.slice(0, 8)}`).check();
    await s.page.getByLabel(`Select job ${b.slice(0, 8)}`).check();
    await s.page.getByRole("button", { name: "Retry selected" }).click();
    await s.page.getByRole("alertdialog").getByText("Retry 2 jobs?").waitFor();
    await s.shot("bulk-retry-confirm");
    await s.page.getByRole("button", { name: "Retry 2 jobs" }).click();
    await s.page.getByRole("status").filter({ hasText: "Retried 2 of 2" }).waitFor();
    for (const id of [a, b]) expect((await s.api(`/api/jobs/${id}`)).attempt).toBe(2);
  }, 60_000);

  it("cancels a sleeping job from its page", async () => {
    const { id } = await s.api("/api/jobs", { type: "demo-task", payload: { sleepFor: "1h" } });
    await s.page.goto(`${s.stack.baseUrl}/jobs/${id}`);
    await s.page.getByTestId("waiting-reasons").filter({ hasText: "sleeping until" }).waitFor({ timeout: 30_000 });
    await s.page.getByRole("button", { name: "Cancel job" }).click();
    // It asks first.
    await s.page.getByRole("alertdialog").getByText("Cancel this job?").waitFor();
    await s.page.getByRole("button", { name: "Cancel the job" }).click();
    await s.page.locator('.status[data-status="CANCELLED"]').first().waitFor();
    // A cancellation is not shown as an error.
    expect(await s.page.locator('[role="alert"][aria-label="Error"]').count()).toBe(0);
    await s.page.locator('li.step[data-step="sleep-before-step-3"][data-step-status="CANCELLED"]').waitFor();
    expect((await s.api(`/api/jobs/${id}`)).status).toBe("CANCELLED");
    await s.shot("job-cancelled");
  }, 60_000);

  it("approves an approval job, after showing why it waits", async () => {
    const { id } = await s.api("/api/jobs", { type: "approval-workflow", payload: { title: "Refund order 42", amount: 40 } });
    await s.page.goto(`${s.stack.baseUrl}/jobs/${id}`);
    await s.page
      .getByTestId("waiting-reasons")
      .filter({ hasText: "waiting for event approval/decision.made" })
      .waitFor({ timeout: 30_000 });
    await s.shot("approval-waiting");
    await s.page.getByRole("button", { name: "Approve" }).click();
    await s.page.locator('.status[data-status="COMPLETED"]').first().waitFor({ timeout: 30_000 });
    expect((await s.api(`/api/jobs/${id}`)).result.outcome).toBe("APPROVED");
  }, 60_000);

  it("filters the list by text in the payload", async () => {
    const { id } = await s.api("/api/jobs", { type: "demo-task", payload: { taskId: "needle-in-payload" } });
    await s.page.goto(`${s.stack.baseUrl}/jobs`);
    await s.page.getByLabel("Payload contains").fill("needle-in");
    await s.page.locator(`tr[data-job-id="${id}"]`).waitFor();
    // The row is in the unfiltered list too: wait for the filtered answer (debounced typing, then a fetch), which
    // a loaded machine took longer than the poll's default second to bring.
    await expect.poll(() => s.page.locator("tbody tr[data-job-id]").count(), { timeout: 15_000 }).toBe(1);
    await s.shot("jobs-filtered");
  });

  it("sends an event from the events page and lists it; the app's own job events are refused", async () => {
    await s.page.goto(`${s.stack.baseUrl}/events`);
    await s.page.getByLabel("Event name").fill("shop/order.placed");
    await s.page.getByLabel("Data (JSON)").fill('{"orderId": "sent-from-events-page", "orgId": "someone-else"}');
    await s.page.getByRole("button", { name: "Send event" }).click();
    await s.page.getByRole("status").filter({ hasText: "Sent:" }).waitFor();
    // Listed for this organization (the server set orgId, whatever the data said); no function listens to it, and the
    // row says so (the engine keeps each event's fate).
    const row = s.page
      .getByRole("row")
      .filter({ hasText: "shop/order.placed" })
      .filter({ hasText: "no function listens to shop/order.placed" });
    await row.first().waitFor({ timeout: 30_000 });
    // The list carries no data; the row's button reads it.
    await row.first().getByRole("button", { name: /^Show/ }).click();
    await s.page.getByTestId("event-data").filter({ hasText: "sent-from-events-page" }).waitFor();
    expect(await s.page.getByTestId("event-data").textContent()).not.toContain("someone-else");
    for (const name of ["demo/task.requested", "inngest/forged"]) {
      await s.page.getByLabel("Event name").fill(name);
      await s.page.getByRole("button", { name: "Send event" }).click();
      await s.page.getByText("this name is reserved").first().waitFor();
    }
    await s.shot("events");
  }, 60_000);

  it("pauses and resumes a function, and shows the mailbox", async () => {
    await s.page.goto(`${s.stack.baseUrl}/functions`);
    await s.page.getByRole("button", { name: "Pause jobdeck-render-report", exact: true }).click();
    await s.page.getByRole("button", { name: "Resume jobdeck-render-report", exact: true }).waitFor();
    await s.page.locator('tr[data-function="jobdeck-render-report"] [data-testid="paused-badge"]').waitFor();
    await s.shot("functions");
    // Readable at 1400 px: the table fits, nothing scrolls sideways.
    await s.page.setViewportSize({ width: 1400, height: 900 });
    const sideways = await s.page.evaluate(() => {
      const box = document.querySelector(".table-wrap") as HTMLElement;
      return box.scrollWidth - box.clientWidth + (document.documentElement.scrollWidth - document.documentElement.clientWidth);
    });
    expect(sideways).toBeLessThanOrEqual(1);
    await s.page.setViewportSize({ width: 1280, height: 860 });
    await s.page.getByRole("button", { name: "Resume jobdeck-render-report", exact: true }).click();
    await s.page.getByRole("button", { name: "Pause jobdeck-render-report", exact: true }).waitFor();

    await s.api("/api/jobs", { type: "send-welcome-email", payload: { email: "ui@example.com", name: "Ui" }, idempotencyKey: "ui-mail" });
    await s.page.goto(`${s.stack.baseUrl}/mailbox`);
    await s.page.locator('[data-message-to="ui@example.com"]').filter({ hasText: "Welcome, Ui!" }).waitFor({ timeout: 30_000 });
    await s.shot("mailbox");
  }, 60_000);

  /** The page of one of the organization's events (every job made above sent its start event). */
  const anEventPage = async () => {
    await s.page.goto(`${s.stack.baseUrl}/events`);
    const row = s.page.locator("tbody tr[data-event-id]").first();
    await row.waitFor({ timeout: 30_000 });
    return `/events/${await row.getAttribute("data-event-id")}`;
  };

  it("stays usable at a phone's width: no page scrolls sideways", async () => {
    await s.page.setViewportSize({ width: 390, height: 800 });
    const anyJob = ((await s.api("/api/jobs?limit=1")).items[0] ?? (await s.api("/api/jobs", { type: "demo-task", payload: {} })))
      .id as string;
    const wide: string[] = [];
    for (const path of [
      "/",
      "/jobs",
      "/jobs/new",
      `/jobs/${anyJob}`,
      "/runs",
      "/logs",
      "/events",
      await anEventPage(),
      "/functions",
      "/schedules",
      "/apps",
      "/mailbox",
      "/settings",
      "/alerts",
      "/alerts/history",
      "/audit",
    ]) {
      await s.page.goto(`${s.stack.baseUrl}${path}`);
      await s.page.locator("main h1").first().waitFor();
      await expect.poll(() => s.page.locator('[aria-busy="true"]').count(), { timeout: 15_000 }).toBe(0);
      // Wide tables scroll inside their own box; the page itself must not.
      const overflow = await s.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      if (overflow > 1) wide.push(`${path} is ${overflow}px too wide`);
      // The navigation folds behind its Menu button: the page's own content starts near the top.
      const top = await s.page
        .locator("main h1")
        .first()
        .evaluate((h) => h.getBoundingClientRect().top);
      if (top > 120) wide.push(`${path} starts ${Math.round(top)}px down`);
      if (path === "/jobs") {
        // Rows are cards: every value under its column's name, no column too narrow for its words.
        const cell = s.page.locator("tbody tr[data-job-id] td[data-label='Status']").first();
        await cell.waitFor();
        expect(await cell.evaluate((td) => getComputedStyle(td, "::before").content)).toBe('"Status"');
        await s.shot("jobs-phone");
        await s.page.getByRole("button", { name: /^Menu/ }).click();
        await s.page.getByRole("link", { name: "Runs", exact: true }).click();
        await s.page.waitForURL(/\/runs$/);
        await expect.poll(() => s.page.getByRole("link", { name: "Logs", exact: true }).isVisible()).toBe(false);
      }
    }
    expect(wide).toEqual([]);
    await s.page.setViewportSize({ width: 1280, height: 860 });
  }, 60_000);

  it("can be used with the keyboard alone: tab to a job and open it", async () => {
    await s.page.goto(`${s.stack.baseUrl}/jobs`);
    await s.page.locator("tbody tr[data-job-id]").first().waitFor();
    const firstId = await s.page.locator("tbody tr[data-job-id]").first().getAttribute("data-job-id");
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await s.page.keyboard.press("Tab");
      reached = await s.page.evaluate((id) => document.activeElement?.getAttribute("href") === `/jobs/${id}`, firstId);
    }
    expect(reached).toBe(true);
    await s.page.keyboard.press("Enter");
    await s.page.waitForURL(`**/jobs/${firstId}`);
    // sync-analytics fills the queue statistics the overview's charts read (the minute cron does it too).
    const sync = await s.api("/api/jobs", { type: "sync-analytics", payload: { minutes: 60 } });
    await expect.poll(async () => (await s.api(`/api/jobs/${sync.id}/status`)).status, { timeout: 10_000 }).toBe("COMPLETED");
    await s.page.goto(`${s.stack.baseUrl}/`);
    await expect.poll(() => s.page.getByTestId("latency-p50").textContent(), { timeout: 15_000 }).not.toBe("–");
    await s.page.locator(".recharts-bar-rectangle").first().waitFor();
    await s.shot("overview");
    await s.page.goto(`${s.stack.baseUrl}/jobs`);
    await s.page.locator("tbody tr[data-job-id]").first().waitFor();
    await s.shot("jobs-list");
  }, 60_000);

  it("passes an axe WCAG 2.1 AA audit on every page, and every control takes keyboard focus visibly", async () => {
    // A failed and a completed job's pages (the earlier tests leave both; made here when this test runs alone).
    const jobIn = async (status: string, payload: object) => {
      const existing = (await s.api(`/api/jobs?status=${status}&type=demo-task`)).items[0]?.id as string | undefined;
      if (existing) return existing;
      const { id } = await s.api("/api/jobs", { type: "demo-task", payload });
      await expect.poll(async () => (await s.api(`/api/jobs/${id}`)).status, { timeout: 60_000 }).toBe(status);
      return id as string;
    };
    const failed = await jobIn("FAILED", { simulateFailure: true, failAtStep: 2 });
    const completed = await jobIn("COMPLETED", {});
    const aRun = ((await s.api(`/api/jobs/${failed}`)) as { runId: string }).runId;
    const pages = [
      "/",
      "/jobs",
      "/jobs/new",
      `/jobs/${failed}`,
      `/jobs/${completed}`,
      "/runs",
      `/runs/${aRun}`,
      "/logs?q=working",
      "/events",
      await anEventPage(),
      "/functions",
      "/schedules",
      "/apps",
      "/mailbox",
      "/settings",
      "/alerts",
      "/alerts/history",
      "/audit",
    ];
    const problems: string[] = [];
    for (const path of pages) {
      await s.page.goto(`${s.stack.baseUrl}${path}`);
      await s.page.locator("main h1").first().waitFor();
      await expect.poll(() => s.page.locator('[aria-busy="true"]').count(), { timeout: 15_000 }).toBe(0);
      await s.page.addScriptTag({ content: axe.source });
      const violations = await s.page.evaluate(async () => {
        const result = await (window as unknown as { axe: typeof axe }).axe.run(document, {
          runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
        });
        return result.violations.map(
          (v) =>
            `${v.id} (${v.impact}): ${v.nodes
              .map((n) => n.target.join(" "))
              .slice(0, 3)
              .join(" | ")}`,
        );
      });
      problems.push(...violations.map((v) => `${path} ${v}`));
      problems.push(...(await keyboardProblems(s.page)).map((p) => `${path} ${p}`));
    }
    await s.shot("accessibility-audit-last-page");
    expect(problems).toEqual([]);
  }, 120_000);

  it("ran every page above under its Content-Security-Policy with nothing refused", async () => {
    await s.page.goto(`${s.stack.baseUrl}/`);
    await s.page.getByRole("heading", { name: "Overview" }).waitFor();
    expect(s.cspViolations()).toEqual([]);
    // The app's icon is served, so no page asked for a favicon that is not there.
    expect(await s.page.locator('link[rel="icon"]').count()).toBeGreaterThan(0);
    expect(s.missing).toEqual([]);
  });
});

/**
 * Tabs through the page once, round to where it started: every visible control must be reached, and each must
 * show a focus ring (an outline or a box shadow) when it has focus from the keyboard. A live page (the events list,
 * as jobs of earlier tests finish) may re-render under the walk and move the focus; a walk during which the page
 * changed is taken again, up to three times, so only a page that keeps a control out of reach fails.
 */
async function keyboardProblems(page: Page): Promise<string[]> {
  let problems: string[] = [];
  for (let walk = 0; walk < 3; walk++) {
    const result = await tabWalk(page);
    problems = result.problems;
    if (!problems.length || !result.pageChanged) break;
  }
  return problems;
}

async function tabWalk(page: Page): Promise<{ problems: string[]; pageChanged: boolean }> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  const controls = await page.evaluate(() => {
    const selector =
      'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea, summary, [tabindex]:not([tabindex="-1"])';
    for (const el of document.querySelectorAll("[data-kbd-audit]")) el.removeAttribute("data-kbd-audit");
    const visible = [...document.querySelectorAll<HTMLElement>(selector)].filter((el) => el.checkVisibility()); // not inside a closed <details>
    for (const [i, el] of visible.entries()) el.setAttribute("data-kbd-audit", String(i));
    const w = window as unknown as { kbdAuditChanged: boolean };
    w.kbdAuditChanged = false;
    new MutationObserver(() => {
      w.kbdAuditChanged = true;
    }).observe(document.body, { childList: true, subtree: true });
    return visible.length;
  });
  const reached = new Set<string>();
  const problems: string[] = [];
  for (let i = 0; i < controls + 5; i++) {
    await page.keyboard.press("Tab");
    const focus = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return null;
      const style = getComputedStyle(el);
      const ring = (style.outlineStyle !== "none" && Number.parseFloat(style.outlineWidth) > 0) || style.boxShadow !== "none";
      const label = `${el.tagName.toLowerCase()} "${(el.getAttribute("aria-label") ?? el.textContent ?? "").trim().slice(0, 40)}"`;
      return { id: el.getAttribute("data-kbd-audit"), ring, label };
    });
    if (!focus) break;
    if (focus.id !== null && reached.has(focus.id)) break;
    if (focus.id !== null) reached.add(focus.id);
    if (!focus.ring) problems.push(`no visible focus on ${focus.label}`);
  }
  if (reached.size < controls) {
    const missed = await page.evaluate(
      (seen) =>
        [...document.querySelectorAll<HTMLElement>("[data-kbd-audit]")]
          .filter((el) => !seen.includes(el.getAttribute("data-kbd-audit") ?? ""))
          .map((el) => `${el.tagName.toLowerCase()} "${(el.getAttribute("aria-label") ?? el.textContent ?? "").trim().slice(0, 40)}"`),
      [...reached],
    );
    problems.push(`not reachable with Tab: ${missed.slice(0, 5).join(", ")}`);
  }
  const pageChanged = await page.evaluate(() => (window as unknown as { kbdAuditChanged: boolean }).kbdAuditChanged);
  return { problems, pageChanged };
}
