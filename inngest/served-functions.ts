import { inngest } from "./client";
import { functions } from "./index";

/** One function as this app registers it with Inngest: what the console shows when Inngest cannot list them. */
export interface ServedFunction {
  id: string;
  name: string;
  triggers: Array<{ event?: string; cron?: string; expression?: string }>;
  retries: number;
  flow_control: Record<string, unknown>;
}

interface WireConfig {
  id: string;
  name: string;
  triggers: ServedFunction["triggers"];
  steps: Record<string, { retries?: { attempts?: number } }>;
  [key: string]: unknown;
}

const FLOW_CONTROL = [
  "concurrency",
  "priority",
  "throttle",
  "rateLimit",
  "idempotency",
  "debounce",
  "batchEvents",
  "singleton",
  "cancel",
  "timeouts",
];

/**
 * The functions served at /api/inngest, described from the very config the SDK syncs to Inngest (failure handlers
 * included, as Inngest lists them), so this view and Inngest's cannot disagree. `getConfig` is the SDK's own
 * (TypeScript-private) method for that payload; the base URL only fills in step URLs, which are not shown.
 */
export function servedFunctions(): ServedFunction[] {
  const baseUrl = new URL("http://localhost/api/inngest");
  return functions.flatMap((fn) =>
    (fn as unknown as { getConfig(o: { baseUrl: URL; appPrefix: string }): WireConfig[] })
      .getConfig({ baseUrl, appPrefix: inngest.id })
      .map((cfg) => ({
        id: cfg.id,
        name: cfg.name,
        triggers: cfg.triggers,
        retries: Object.values(cfg.steps)[0]?.retries?.attempts ?? 4,
        flow_control: Object.fromEntries(FLOW_CONTROL.filter((k) => cfg[k] !== undefined).map((k) => [k, cfg[k]])),
      })),
  );
}
