/**
 * npm run db:migrate | db:status | db:drift | db:new -- <name> | db:sql
 * Offline migrations on Prisma's wasm schema engine; DATABASE_URL names the database.
 */
import { createMigration, deploy, drift, sqlFromEmpty, status } from "./migrator.js";

const [command, arg] = process.argv.slice(2);
const url = process.env.DATABASE_URL;

async function main(): Promise<number> {
  if (!url) {
    process.stderr.write("DATABASE_URL is not set: point it at PostgreSQL (e.g. postgres://postgres@127.0.0.1:5432/jobdeck)\n");
    return 2;
  }
  switch (command) {
    case "deploy": {
      const applied = await deploy(url);
      console.log(applied.length ? `applied: ${applied.join(", ")}` : "no pending migrations");
      return 0;
    }
    case "status": {
      const s = await status(url);
      const history = s.history as { tag?: string; unappliedMigrationNames?: string[] } | null;
      console.log(JSON.stringify(s, null, 2));
      const bad = s.failedMigrationNames.length || s.editedMigrationNames.length || (history?.unappliedMigrationNames?.length ?? 0);
      return bad ? 1 : 0;
    }
    case "drift": {
      const d = await drift(url);
      if (d.drifted) {
        console.error("schema.prisma and prisma/migrations disagree; the missing migration would be:\n");
        console.error(d.script);
        console.error("\nCreate it with: npm run db:new -- <name>");
        return 2;
      }
      console.log("no drift: prisma/migrations build exactly schema.prisma");
      return 0;
    }
    case "new": {
      if (!arg) {
        console.error("usage: npm run db:new -- <migration_name>");
        return 2;
      }
      const created = await createMigration(url, arg, { apply: true });
      console.log(created ? `created and applied prisma/migrations/${created}` : "schema.prisma has no changes: no migration created");
      return 0;
    }
    case "sql":
      console.log(await sqlFromEmpty(url));
      return 0;
    default:
      console.error("commands: deploy | status | drift | new <name> | sql");
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error((err as Error).message);
    process.exit(1);
  },
);
