/** The job catalogue's contracts: what each job type takes, the events around a job, the status sets. */
export * from "./define-job";
export * from "./events";
export { sensitiveKeys } from "./fields";
export * from "./registry";
export * from "./status";
