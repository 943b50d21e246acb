/**
 * What `GET /` answers. The Inngest Dev Server's address opens its UI in a browser, so a browser (a request that
 * accepts HTML before JSON) is sent to the console when one is configured (`consoleUrl`), or gets a small page of the
 * engine's own links when the engine runs alone; an API client (JSON, or no preference) gets the JSON it always got.
 */
import type { FastifyReply, FastifyRequest } from "fastify";

const ABOUT = { name: "jobdeck-engine", protocol: "inngest", docs: "engine/README.md" };

/** Whether the request prefers HTML: a browser's navigation sends `text/html` first; curl and fetch send `*\/*`. */
export function wantsHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const types = accept.split(",").map((part) => part.split(";")[0]?.trim().toLowerCase());
  const html = types.indexOf("text/html");
  const json = types.indexOf("application/json");
  return html !== -1 && (json === -1 || html < json);
}

const LINKS: Array<[string, string]> = [
  ["/health", "health: role, queue, apps that do not answer"],
  ["/v1/functions", "functions the engine knows (management API: Bearer signing key when keys are required)"],
  ["/v1/runs", "runs, newest first"],
  ["/v1/events", "events received"],
  ["/v1/apps", "synced apps"],
  ["/metrics", "Prometheus metrics"],
];

function linksPage(): string {
  const items = LINKS.map(([href, what]) => `<li><a href="${href}">${href}</a> — ${what}</li>`).join("\n    ");
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>jobdeck-engine</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}code{font-size:0.9em}</style></head>
<body>
  <h1>jobdeck-engine</h1>
  <p>An Inngest-compatible engine. Its console is the Jobdeck app (<code>npm run dev</code> opens it); started alone,
  it answers the Inngest protocol and this API:</p>
  <ul>
    ${items}
  </ul>
  <p>Start it with <code>--console-url http://localhost:3000</code> to send a browser here to the console.</p>
</body>
</html>
`;
}

export function answerRoot(consoleUrl: string | undefined) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    reply.header("vary", "accept");
    if (!wantsHtml(req.headers.accept)) return reply.send(ABOUT);
    if (consoleUrl) return reply.redirect(`${consoleUrl}/runs`, 302);
    return reply.type("text/html; charset=utf-8").send(linksPage());
  };
}
