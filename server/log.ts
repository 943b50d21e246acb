import pino from "pino";

/**
 * The app's logger: JSON lines on stdout (pino), level from LOG_LEVEL. Read directly from the environment rather
 * than env(): a log line must never be the thing that fails because DATABASE_URL is missing.
 */
export const log = pino({ name: "jobdeck", level: process.env.LOG_LEVEL ?? "info" });
