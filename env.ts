/**
 * Every environment variable the app reads, validated once with zod. App code imports `env` from here and
 * never reads process.env itself. A bad value fails fast with a message naming the variable.
 */
import { z } from "zod";

const bool = z.enum(["0", "1", "true", "false"]).transform((v) => v === "1" || v === "true");

const schema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  DATABASE_URL: z
    .string()
    .url()
    .refine((u) => /^postgres(ql)?:\/\//.test(u), "must be a postgres:// URL"),
  /** `1` for the local engine or Dev Server on :8288, or the URL of one. Unset means cloud mode. */
  INNGEST_DEV: z.string().optional(),
  INNGEST_BASE_URL: z.string().url().optional(),
  INNGEST_SIGNING_KEY: z
    .string()
    .regex(/^signkey-\w+-[0-9a-f]+$/, "must look like signkey-<env>-<hex>")
    .optional(),
  INNGEST_EVENT_KEY: z.string().min(1).optional(),
  NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: z.string().startsWith("pk_").optional(),
  CLERK_SECRET_KEY: z.string().startsWith("sk_").optional(),
  CLERK_JWT_KEY: z.string().optional(),
  CLERK_AUTHORIZED_PARTIES: z.string().optional(),
  ALLOW_DEV_AUTH: bool.default(false),
  DEV_USER_ID: z.string().min(1).default("user_dev"),
  /**
   * Who may do installation-wide operator actions (pause functions, grant credits, full health), comma-separated:
   * `user:<id>` and `org:<id>`, or a bare Clerk id (`user_…` is a user, `org_…` an organization). Users and
   * organizations are separate lists, so an organization whose id equals an operator's user id is not an operator.
   * Unset: only the local development identity is an operator.
   */
  JOBDECK_OPERATORS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const out = { users: [] as string[], orgs: [] as string[] };
      for (const entry of (v ?? "")
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean)) {
        const m = /^(user|org):(.+)$/.exec(entry);
        const kind = m ? m[1] : entry.startsWith("user_") ? "user" : entry.startsWith("org_") ? "org" : undefined;
        const id = m ? (m[2] as string).trim() : entry;
        if (!kind || !id) {
          ctx.addIssue({
            code: "custom",
            message: `"${entry}": write user:<id> or org:<id> (only Clerk's user_… and org_… ids may go bare)`,
          });
          continue;
        }
        (kind === "user" ? out.users : out.orgs).push(id);
      }
      return out;
    }),
  /** Local hosts, addresses or CIDR ranges jobs may call anyway (e.g. localhost:4000), comma-separated; for development. */
  OUTBOUND_ALLOW: z
    .string()
    .optional()
    .transform((v) =>
      (v ?? "")
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean),
    ),
  DEV_ORG_ID: z.string().min(1).default("org_dev"),
  /** The development identity's organization role: org:admin, org:member, or anything else for a read-only viewer. */
  DEV_ORG_ROLE: z.string().min(1).max(100).default("org:admin"),
  JOBS_MAX_ACTIVE_PER_ORG: z.coerce.number().int().min(1).max(100_000).default(50),
  /** SMTP server for email jobs, e.g. smtp://user:pass@smtp.example.com:587. Unset: the local mailbox. */
  SMTP_URL: z
    .string()
    .refine((u) => /^smtps?:\/\//.test(u), "must be an smtp:// or smtps:// URL")
    .optional(),
  EMAIL_FROM: z.string().min(3).default("Jobdeck <no-reply@jobdeck.local>"),
  /**
   * The installation's key that keeps each organization's webhook secret encrypted at rest (required in production).
   * Before per-organization secrets it signed every webhook itself.
   */
  WEBHOOK_SIGNING_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
  /** While receivers move to their organization's secret: also send the old single-secret X-Jobdeck-Signature. */
  WEBHOOK_LEGACY_SIGNATURE: bool.default(false),
  /** Where track-failures posts a Slack-compatible `{text}` alert for every failed job. */
  ALERT_WEBHOOK_URL: z.string().url().optional(),
  /** Credits a user starts with for process-with-credits jobs. */
  CREDITS_INITIAL: z.coerce.number().int().min(0).default(5),
  /** prune-old-jobs keeps failed/cancelled jobs this many days, completed ones that many. */
  RETENTION_FAILED_DAYS: z.coerce.number().int().min(1).default(30),
  RETENTION_COMPLETED_DAYS: z.coerce.number().int().min(1).default(7),
  /** prune-old-jobs keeps the audit trail this many days. */
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(365),
  /** recover-stalled-jobs fails RUNNING/WAITING jobs whose heartbeat is older than this (minutes). */
  STALLED_AFTER_MINUTES: z.coerce.number().int().min(1).default(30),
  /** Where the launcher (npm run dev / npm start) keeps the state of its supervised processes, for /api/health. */
  JOBDECK_STACK_INFO_FILE: z.string().min(1).optional(),
  /** The bearer token GET /api/metrics (and the engine's /metrics) require; unset: metrics answer 401. */
  METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  /** Label the metrics of this many organizations (those with the most active jobs) by organization; 0: none. */
  METRICS_TOP_ORGS: z.coerce.number().int().min(0).max(100).default(0),
  /**
   * Extended traces: the SDK's spans (and pg and fetch calls inside steps) sent to Inngest with each run (on by
   * itself when OTEL_EXPORTER_OTLP_ENDPOINT is set; it costs a request per step, so it is off otherwise).
   */
  JOBDECK_EXTENDED_TRACES: bool.default(false),
  /** An OpenTelemetry collector: the app's spans go there too (OTLP/HTTP), and the embedded engine sends its runs. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  /** How often the in-process outbox relay looks for events that could not be sent at once. */
  OUTBOX_RELAY_INTERVAL_MS: z.coerce.number().int().min(50).max(600_000).default(1000),
});

export type Env = z.infer<typeof schema>;

/**
 * Whether Clerk is on. Read as a literal so Next inlines it at build time: server and browser always agree, and a
 * build keeps the auth mode it was built with (see the README on NEXT_DIST_DIR).
 */
export function clerkEnabled(): boolean {
  return Boolean(process.env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY);
}

export class EnvError extends Error {}

/** Parses an environment; throws EnvError listing each bad variable and why. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ""));
  const result = schema.safeParse(cleaned);
  if (!result.success) throw envError(result.error);
  return result.data;
}

function envError(error: z.ZodError): EnvError {
  const lines = error.issues.map((i) => `  ${i.path.join(".") || "(env)"}: ${i.message}`);
  return new EnvError(`invalid environment:\n${lines.join("\n")}`);
}

let cached: Env | undefined;

/** The validated environment of this process (parsed on first use). */
export function env(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}

const scheduleSchema = z.object({
  /** When the periodic report runs (cron, or @every for tests and demos). */
  PERIODIC_REPORT_CRON: z.string().min(1).default("0 * * * *"),
  /** The report's window: at most one report per window, however often the schedule fires. */
  PERIODIC_REPORT_WINDOW_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(31 * 86_400)
    .default(3600),
});

/**
 * Settings that shape function definitions (read when the function list is built, including at `next build`),
 * so they are validated on their own: they must not require DATABASE_URL.
 */
export function scheduleSettings(): z.infer<typeof scheduleSchema> {
  const result = scheduleSchema.safeParse(
    Object.fromEntries(
      ["PERIODIC_REPORT_CRON", "PERIODIC_REPORT_WINDOW_SECONDS"].map((k) => [k, process.env[k] === "" ? undefined : process.env[k]]),
    ),
  );
  if (!result.success) throw envError(result.error);
  return result.data;
}

const checkpointSchema = z.object({
  /**
   * Steps the SDK runs before it reports them to Inngest (the SDK's `checkpointing.bufferedSteps`). 1, the default
   * and Inngest's, reports every step as it finishes. More saves an exchange with Inngest per step, but a step not
   * yet reported runs again if the app dies: the SDK reports a buffer only between steps (a timer cannot interrupt a
   * running step), so quick steps before a long one stay unreported for the whole long step.
   */
  STEP_CHECKPOINT_BUFFER: z.coerce.number().int().min(1).max(100).default(1),
  /** With a buffer: the longest finished steps wait to be reported, in ms, checked between steps (`maxInterval`). */
  STEP_CHECKPOINT_INTERVAL_MS: z.coerce.number().int().min(1).max(60_000).default(100),
});

/** How the app's functions report finished steps (inngest/client.ts); read at start and at `next build`. */
export function checkpointSettings(): z.infer<typeof checkpointSchema> {
  const keys = ["STEP_CHECKPOINT_BUFFER", "STEP_CHECKPOINT_INTERVAL_MS"];
  const result = checkpointSchema.safeParse(Object.fromEntries(keys.map((k) => [k, process.env[k] === "" ? undefined : process.env[k]])));
  if (!result.success) throw envError(result.error);
  return result.data;
}
