/**
 * The app's Inngest functions served by the real SDK `serve()` in a process of their own, so a test can SIGKILL
 * the app in the middle of a step. Reads DATABASE_URL, INNGEST_DEV and PORT like the app; prints "listening".
 * Run with: node --conditions=react-server --import tsx tests/support/app-process.ts
 */
import { createServer } from "node:http";
import { serve } from "inngest/node";
import { inngest } from "../../inngest/client.js";
import { functions } from "../../inngest/index.js";

const handler = serve({ client: inngest, functions });
const server = createServer((req, res) => void handler(req, res));
server.listen(Number(process.env.PORT), "127.0.0.1", () => process.stdout.write("listening\n"));
