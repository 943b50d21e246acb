import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { launchBrowser, saveScreenshot, watchCspViolations } from "./browser.js";
import { type LaunchedStack, launchFreshMachineStack } from "./launch-stack.js";

/** What a browser test file of the console works with: `npm start`, one page, and helpers. */
export interface ConsoleSession {
  readonly stack: LaunchedStack;
  readonly page: Page;
  readonly dataDir: string;
  /** Pages and assets that answered 404 (the API answers 404 for unknown ids on purpose, so it is left out). */
  readonly missing: string[];
  cspViolations(): string[];
  shot(name: string): Promise<void>;
  /** A JSON call to the app (POST when a body is given). */
  api(path: string, body?: unknown): Promise<any>;
  /** The failed-jobs badge's number (0 when it is not shown). */
  badgeCount(): Promise<number>;
}

/**
 * Starts `npm start` on a fresh embedded database and one browser page at 1280 × 860 before the file's tests, and
 * stops both after them. Call it inside the file's `describe`.
 */
export function consoleSession(prefix: string): ConsoleSession {
  let browser: Browser | undefined;
  const state = { stack: undefined as LaunchedStack | undefined, page: undefined as Page | undefined, dataDir: "" };
  const missing: string[] = [];
  let violations: () => string[] = () => [];

  beforeAll(async () => {
    state.dataDir = join(mkdtempSync(join(tmpdir(), prefix)), "pglite");
    state.stack = await launchFreshMachineStack(state.dataDir);
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    violations = watchCspViolations(page);
    page.on("response", (res) => {
      const url = new URL(res.url());
      if (res.status() === 404 && !url.pathname.startsWith("/api/")) missing.push(url.pathname);
    });
    state.page = page;
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await state.stack?.kill();
  }, 30_000);

  return {
    get stack() {
      return state.stack as LaunchedStack;
    },
    get page() {
      return state.page as Page;
    },
    get dataDir() {
      return state.dataDir;
    },
    missing,
    cspViolations: () => violations(),
    shot: (name) => saveScreenshot(state.page as Page, name),
    api: async (path, body) => {
      const res = await fetch(`${state.stack?.baseUrl}${path}`, {
        method: body === undefined ? "GET" : "POST",
        headers: { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return res.json();
    },
    badgeCount: async () => {
      const badge = (state.page as Page).getByTestId("failed-badge");
      if (!(await badge.count())) return 0;
      return Number.parseInt(((await badge.textContent()) ?? "").trim(), 10);
    },
  };
}
