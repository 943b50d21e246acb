import { connect, createServer, type Server, type Socket } from "node:net";

/**
 * A TCP proxy in front of a database, so a test can take the database away: `cut()` drops every open connection
 * and refuses new ones (like a restart or a network blip), `hang()` accepts connections and answers nothing (like
 * a database stuck on a lock or a full disk), and `restore()` lets traffic through again: connections accepted while
 * hanging are then answered, as a database that recovers answers them.
 */
export interface TcpProxy {
  url: string;
  cut(): void;
  hang(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetUrl: string): Promise<TcpProxy> {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  let mode: "pass" | "cut" | "hang" = "pass";
  const waiting = new Set<Socket>();
  const pass = (client: Socket) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.add(upstream);
    upstream.on("close", () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  };
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on("close", () => {
      sockets.delete(client);
      waiting.delete(client);
    });
    client.on("error", () => {});
    if (mode === "cut") return void client.destroy();
    if (mode === "hang") {
      client.pause(); // accepted; what it sends waits in the socket until the database answers again
      waiting.add(client);
      return;
    }
    pass(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = new URL(targetUrl);
  url.hostname = "127.0.0.1";
  url.port = String((server.address() as { port: number }).port);
  const dropAll = () => {
    for (const s of sockets) s.destroy();
    sockets.clear();
  };
  return {
    url: url.toString(),
    cut() {
      mode = "cut";
      dropAll();
    },
    hang() {
      mode = "hang";
      dropAll();
    },
    restore() {
      mode = "pass";
      for (const client of waiting) {
        client.resume();
        pass(client);
      }
      waiting.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        dropAll();
        server.close(() => resolve());
      }),
  };
}
