/**
 * Prisma's schema engine (the code behind `prisma migrate`) as WebAssembly, driven through `@prisma/adapter-pg`,
 * so migrations run with no native engine download. `_prisma_migrations` is written by the same engine code
 * as the CLI's, so `prisma migrate deploy` on a machine with the native engine can take over.
 *
 * Three work-arounds for @prisma/adapter-pg 7.10 (see the team's prisma-offline notes):
 * 1. PostgreSQL's internal `"char"` type (OID 18, e.g. pg_constraint.contype) is unmapped: such columns are
 *    relabelled as text in the pg client and reported to the engine as ColumnType Character.
 * 2. `executeScript` splits on ';' (breaking `$$` bodies and atomicity): a migration runs as one simple query.
 * 3. `connectToShadowDb` lets the connection string's database win: the shadow gets its own pool (or, on the
 *    embedded PGlite, its own in-memory PGlite server).
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { startPgliteServer } from "@jobdeck/pglite-server";
import { PrismaPg } from "@prisma/adapter-pg";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import pg from "pg";

const require = createRequire(import.meta.url);
const CHAR_OID = 18;
const CHAR_MARK = "\u0000char";
const COLUMN_TYPE_CHARACTER = 6;

type Glue = typeof import("@prisma/schema-engine-wasm/schema_engine_bg");
export type SchemaEngine = Glue["SchemaEngine"]["prototype"];

let gluePromise: Promise<Glue> | undefined;

/** Instantiates the wasm once per process: a second instantiation re-points the glue and kills live engines. */
function loadGlue(): Promise<Glue> {
  gluePromise ??= (async () => {
    const g = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: unknown };
    g.PRISMA_WASM_PANIC_REGISTRY ??= {
      message: "",
      set_message(this: { message: string }, m: string) {
        this.message = m;
      },
    };
    const glue = (await import("@prisma/schema-engine-wasm/schema_engine_bg")) as Glue & {
      __wbg_set_wasm(w: unknown): void;
    };
    // The wasm file is not in the package's exports: find it next to the resolved glue module.
    const bytes = readFileSync(join(dirname(require.resolve("@prisma/schema-engine-wasm/schema_engine_bg")), "schema_engine_bg.wasm"));
    const { instance } = await WebAssembly.instantiate(bytes, { "./schema_engine_bg.js": glue as unknown as WebAssembly.ModuleImports });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start(): void }).__wbindgen_start();
    return glue;
  })();
  return gluePromise;
}

/** pg client that relabels `"char"` columns as text, marking their names for the adapter wrapper below. */
class CharAsTextClient extends pg.Client {
  // biome-ignore lint/suspicious/noExplicitAny: pg's overloaded query signature (promise or callback style)
  override query(...args: any[]): any {
    const last = args[args.length - 1];
    if (typeof last === "function") {
      args[args.length - 1] = (err: Error | null, res: pg.QueryResult | pg.QueryResult[]) => last(err, err ? res : relabel(res));
      // biome-ignore lint/suspicious/noExplicitAny: see above
      return (super.query as any)(...args);
    }
    // biome-ignore lint/suspicious/noExplicitAny: see above
    const result = (super.query as any)(...args);
    return result && typeof result.then === "function" ? result.then(relabel) : result;
  }
}

function relabel(res: pg.QueryResult | pg.QueryResult[]): pg.QueryResult | pg.QueryResult[] {
  for (const r of Array.isArray(res) ? res : [res]) {
    for (const f of r?.fields ?? []) {
      if (f.dataTypeID === CHAR_OID) {
        f.dataTypeID = 25;
        f.name = `${f.name}${CHAR_MARK}`;
      }
    }
  }
  return res;
}

interface AdapterLike {
  queryRaw(q: unknown): Promise<{ columnNames: string[]; columnTypes: number[]; rows: unknown[][] }>;
  executeScript(script: string): Promise<void>;
  dispose(): Promise<void>;
  startTransaction?: (...a: unknown[]) => Promise<AdapterLike>;
  [k: string]: unknown;
}

/** Undoes the relabelling: `"char"` columns reach the engine as ColumnType Character under their real names. */
function wrapQueryRaw(target: AdapterLike): void {
  const queryRaw = target.queryRaw.bind(target);
  target.queryRaw = async (q: unknown) => {
    const res = await queryRaw(q);
    res.columnNames = res.columnNames.map((name, i) => {
      if (!name.endsWith(CHAR_MARK)) return name;
      res.columnTypes[i] = COLUMN_TYPE_CHARACTER;
      return name.slice(0, -CHAR_MARK.length);
    });
    return res;
  };
}

function patchAdapter<T extends AdapterLike>(adapter: T, pool: pg.Pool): T {
  wrapQueryRaw(adapter);
  // One simple-protocol query: atomic (implicit transaction), and dollar-quoted bodies survive.
  adapter.executeScript = async (script: string) => {
    await pool.query(script);
  };
  const startTransaction = adapter.startTransaction;
  if (startTransaction) {
    adapter.startTransaction = async (...a: unknown[]) => {
      const tx = await startTransaction.apply(adapter, a);
      wrapQueryRaw(tx);
      return tx;
    };
  }
  return adapter;
}

function poolFor(url: string): pg.Pool {
  const u = new URL(url);
  return new pg.Pool({
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username || "postgres"),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.slice(1) || "postgres"),
    Client: CharAsTextClient,
    max: 4,
  });
}

export async function isPglite(url: string): Promise<boolean> {
  const pool = poolFor(url);
  try {
    const { rows } = await pool.query("SELECT version() AS v");
    return String(rows[0]?.v).includes("PGlite");
  } finally {
    await pool.end();
  }
}

/** An adapter on a shadow database whose dispose also removes that database. */
async function shadowAdapter(url: string, removeDatabase: () => Promise<void>): Promise<AdapterLike> {
  const pool = poolFor(url);
  const adapter = patchAdapter((await new PrismaPg(pool).connect()) as unknown as AdapterLike, pool);
  const dispose = adapter.dispose.bind(adapter);
  adapter.dispose = async () => {
    await dispose().catch(() => {});
    await pool.end().catch(() => {});
    await removeDatabase();
  };
  return adapter;
}

/** The migration-aware adapter factory the wasm engine talks to, with the work-arounds above. */
function adapterFactory(url: string, pglite: boolean) {
  const pools: pg.Pool[] = [];
  const factory = {
    provider: "postgres" as const,
    adapterName: "@prisma/adapter-pg",
    async connect() {
      const pool = poolFor(url);
      pools.push(pool);
      const adapter = (await new PrismaPg(pool).connect()) as unknown as AdapterLike;
      return patchAdapter(adapter, pool);
    },
    async connectToShadowDb() {
      if (pglite) {
        const server = await startPgliteServer();
        return shadowAdapter(server.url, () => server.stop());
      }
      const name = `prisma_shadow_${randomBytes(6).toString("hex")}`;
      const admin = poolFor(url);
      await admin.query(`CREATE DATABASE "${name}"`);
      const shadowUrl = new URL(url);
      shadowUrl.pathname = `/${name}`;
      return shadowAdapter(shadowUrl.toString(), async () => {
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => {});
        await admin.end().catch(() => {});
      });
    },
  };
  return {
    factory: bindMigrationAwareSqlAdapterFactory(factory as unknown as Parameters<typeof bindMigrationAwareSqlAdapterFactory>[0]),
    close: () => Promise.all(pools.map((p) => p.end().catch(() => {}))),
  };
}

export interface EngineHandle {
  engine: SchemaEngine;
  close(): Promise<void>;
}

/** Opens the schema engine on `url` with the datamodel files given as [path, content]. */
export async function openSchemaEngine(
  url: string,
  datamodels: Array<[string, string]>,
  log: (m: string) => void = () => {},
): Promise<EngineHandle> {
  const glue = await loadGlue();
  const { factory, close } = adapterFactory(url, await isPglite(url));
  const engine = await glue.SchemaEngine.new({ datamodels }, (m: string) => log(m), factory);
  return {
    engine,
    async close() {
      engine.free();
      await close();
    },
  };
}

/** Rust panics surface as `RuntimeError: unreachable`; the message is in the panic registry. */
export function explainEngineError(err: unknown): string {
  const registry = (globalThis as { PRISMA_WASM_PANIC_REGISTRY?: { message: string } }).PRISMA_WASM_PANIC_REGISTRY;
  const e = err as { message?: string; meta?: unknown };
  if (e?.message?.includes("unreachable") && registry?.message) return `schema engine panic: ${registry.message}`;
  return e?.message ?? String(err);
}
