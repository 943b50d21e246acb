import { demoTask } from "./functions/demo-task";

/** Every function the app serves at /api/inngest. */
export const functions = [demoTask];
