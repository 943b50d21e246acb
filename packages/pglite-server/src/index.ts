import { createServer, type Server, type Socket } from "node:net";
import { PGlite } from "@electric-sql/pglite";

/**
 * PGlite (one embedded PostgreSQL backend) served over the PostgreSQL wire protocol to many client connections.
 *
 * Why not @electric-sql/pglite-socket as is: it interleaves clients message by message, so one client's
 * Parse/Bind/Execute can land between another's (seen here as "portal does not exist" and rows returned to
 * the wrong client whenever a transaction was open). This server runs each client's messages up to and
 * including Sync (or a simple Query) as one unit, and while a client holds a transaction open only that
 * client's units run, so every connection sees the semantics of its own session.
 *
 * The one backend also has one session: a `SET search_path` (or any SET) from psql would change it for the app and
 * the engine too. A connection that may have changed a setting is marked, and the session is `RESET ALL` before
 * another connection's next unit runs; so a setting lasts for its own connection's units at most.
 */

/** SQL that changes a session setting: a SET or RESET statement, or set_config(). */
const CHANGES_SETTINGS = /^\s*(set|reset)\s|set_config\s*\(/i;

/** Whether a unit's simple-query ('Q') or parse ('P': name, then the query) messages may change a setting. */
function changesSettings(messages: Uint8Array[]): boolean {
  for (const m of messages) {
    let sql: Buffer | undefined;
    if (m[0] === 0x51) sql = Buffer.from(m.subarray(5));
    else if (m[0] === 0x50) sql = Buffer.from(m.subarray(m.indexOf(0, 5) + 1));
    if (sql && CHANGES_SETTINGS.test(sql.toString("latin1"))) return true;
  }
  return false;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;

interface Unit {
  conn: Connection;
  messages: Uint8Array[];
}

class Connection {
  private buffer: Buffer = Buffer.alloc(0);
  private group: Uint8Array[] = [];
  private started = false;
  closed = false;

  constructor(
    readonly id: number,
    readonly socket: Socket,
    private readonly submit: (u: Unit) => void,
  ) {}

  onData(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      if (!this.started) {
        if (this.buffer.length < 8) return;
        const len = this.buffer.readInt32BE(0);
        if (this.buffer.length < len) return;
        const code = this.buffer.readInt32BE(4);
        const msg = this.buffer.subarray(0, len);
        this.buffer = this.buffer.subarray(len);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          this.socket.write("N");
          continue;
        }
        if (code === CANCEL_REQUEST) continue; // cancellation is not supported by an embedded single backend
        if (code !== PROTOCOL_3) {
          this.socket.destroy();
          return;
        }
        this.started = true;
        this.submit({ conn: this, messages: [new Uint8Array(msg)] });
        continue;
      }
      if (this.buffer.length < 5) return;
      const len = this.buffer.readInt32BE(1) + 1;
      if (this.buffer.length < len) return;
      const type = String.fromCharCode(this.buffer[0] as number);
      const msg = new Uint8Array(this.buffer.subarray(0, len));
      this.buffer = this.buffer.subarray(len);
      if (type === "X") {
        this.socket.end();
        return;
      }
      this.group.push(msg);
      // Sync ends an extended-protocol cycle; Query, password and Flush are complete requests on their own.
      if (type === "S" || type === "Q" || type === "p" || type === "H" || type === "c" || type === "f") {
        this.submit({ conn: this, messages: this.group });
        this.group = [];
      }
    }
  }
}

export interface EmbeddedPostgres {
  url: string;
  port: number;
  db: PGlite;
  stop(): Promise<void>;
}

export async function startPgliteServer(
  opts: { dataDir?: string; host?: string; port?: number; db?: PGlite } = {},
): Promise<EmbeddedPostgres> {
  const db = opts.db ?? (await PGlite.create(opts.dataDir ? { dataDir: opts.dataDir } : {}));
  await db.waitReady;
  const queue: Unit[] = [];
  let running = false;
  let pinned: Connection | undefined;
  /** The connection that may have changed a session setting since the last reset. */
  let dirty: Connection | undefined;
  let nextId = 1;
  const conns = new Set<Connection>();

  const run = async () => {
    if (running) return;
    running = true;
    try {
      for (;;) {
        if (pinned?.closed) {
          // The client that held the transaction went away: roll it back, as a real server does.
          await db.exec("ROLLBACK").catch(() => {});
          pinned = undefined;
        }
        const i = pinned ? queue.findIndex((u) => u.conn === pinned) : 0;
        if (i < 0 || queue.length === 0) break;
        const unit = queue.splice(i, 1)[0] as Unit;
        if (unit.conn.closed) continue;
        const out: Uint8Array[] = [];
        if (dirty && dirty !== unit.conn && !db.isInTransaction()) {
          await db.exec("RESET ALL").catch(() => {});
          dirty = undefined;
        }
        if (changesSettings(unit.messages)) dirty = unit.conn;
        try {
          await db.runExclusive(async () => {
            for (const m of unit.messages) {
              await db.execProtocolRawStream(m, { onRawData: (d) => out.push(new Uint8Array(d)) });
            }
          });
        } catch (err) {
          unit.conn.socket.destroy(err as Error);
          continue;
        }
        if (out.length && !unit.conn.closed) unit.conn.socket.write(Buffer.concat(out));
        pinned = db.isInTransaction() ? unit.conn : undefined;
      }
    } finally {
      running = false;
    }
  };

  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    const conn = new Connection(nextId++, socket, (u) => {
      queue.push(u);
      void run();
    });
    conns.add(conn);
    socket.on("data", (chunk) => conn.onData(chunk));
    const close = () => {
      conn.closed = true;
      conns.delete(conn);
      for (let i = queue.length - 1; i >= 0; i--) if (queue[i]?.conn === conn) queue.splice(i, 1);
      void run();
    };
    socket.on("close", close);
    socket.on("error", close);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `postgres://postgres@${opts.host ?? "127.0.0.1"}:${port}/postgres`,
    port,
    db,
    async stop() {
      for (const c of conns) c.socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!opts.db) await db.close();
    },
  };
}
