import { parseStoredJson, restoredString } from "@jobdeck/safe-json";
import pg from "pg";

/** PostgreSQL type ids whose values the engine reads back through the escaping of `storableJsonExact`. */
const JSON_OID = 114;
const JSONB_OID = 3802;
const TEXT_OID = 25;

/**
 * The engine pool's type parsers: every json/jsonb value and every text column is read back with the strings the
 * journal escaped (NUL, half a surrogate pair, a leading U+FFFF; store/batch.ts) restored, so a step output comes
 * back exactly wherever it is read: memos sent to the SDK, the run API, the trace, events, recovery. Text columns
 * matter too: the journal's rows reach them through jsonb_to_recordset (a step's name, a flow-control key).
 * Everything else is pg's default.
 */
export const storedTypes = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (format !== "binary") {
      if (oid === JSON_OID || oid === JSONB_OID) return parseStoredJson;
      if (oid === TEXT_OID) return restoredString;
    }
    return pg.types.getTypeParser(oid, format);
  },
};
