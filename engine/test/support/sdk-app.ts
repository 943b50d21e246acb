import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Inngest, type InngestFunction, type Logger } from "inngest";
import { serve } from "inngest/node";

export interface TestApp {
  url: string;
  client: Inngest;
  close(): Promise<void>;
}

/** A small Node app serving Inngest functions with the real SDK `serve()` handler. */
const silent: Logger = { info() {}, warn() {}, error() {}, debug() {} };

export function createClient(id: string, engineUrl: string, extra: Record<string, unknown> = {}): Inngest {
  const logger = process.env.ENGINE_TEST_LOG ? undefined : silent;
  return new Inngest({ id, isDev: !extra.signingKey, baseUrl: engineUrl, logger, ...extra } as ConstructorParameters<typeof Inngest>[0]);
}

export async function startApp(
  client: Inngest,
  functions: InngestFunction.Any[],
  opts: { port?: number; onRequest?: (req: IncomingMessage) => void } = {},
): Promise<TestApp> {
  const handler = serve({ client, functions });
  const server: Server = createServer((req, res) => {
    opts.onRequest?.(req);
    void handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/inngest`,
    client,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
