// @ts-check
/**
 * Hosts the embedded PGlite database on a worker thread. PGlite runs
 * Postgres as synchronous WebAssembly: on the server's main thread every
 * query would stall all sockets for its duration. Plain CommonJS on purpose:
 * Node loads it directly (from src/ under jest and from dist/ alike), where
 * PGlite's own dynamic import() calls work.
 *
 * Protocol (parentPort): in {id, kind: 'query', sql, params, rowMode, rawTypes}
 * or {id, kind: 'close'}; out {id, ok: true, result} or {id, ok: false, error}.
 * At start it posts {kind: 'ready'} or {kind: 'failed', error}.
 */
const { parentPort, workerData } = require('node:worker_threads');
const { PGlite } = require('@electric-sql/pglite');

/** @param {unknown} err */
function serializeError(err) {
  const e = /** @type {Record<string, unknown>} */ (err ?? {});
  /** @type {Record<string, unknown>} */
  const out = { message: err instanceof Error ? err.message : String(err), name: e.name };
  for (const field of ['code', 'detail', 'hint', 'severity', 'constraint', 'table', 'column', 'schema', 'where']) {
    if (e[field] !== undefined) out[field] = e[field];
  }
  return out;
}

/** @param {string} value */
const raw = (value) => value;

async function main() {
  const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
  let db;
  try {
    db = new PGlite(workerData.dataDir);
    await db.waitReady;
    // An acknowledged commit must have its WAL written (the durability test
    // kills the process right after an acknowledgement). PGlite's default is
    // already "on"; stating it keeps that promise if the default changes.
    await db.exec('set synchronous_commit = on');
  } catch (err) {
    port.postMessage({ kind: 'failed', error: serializeError(err) });
    return;
  }
  const pg = db;
  port.on('message', async (msg) => {
    if (msg.kind === 'close') {
      try {
        await pg.close();
        port.postMessage({ id: msg.id, ok: true, result: null });
      } catch (err) {
        port.postMessage({ id: msg.id, ok: false, error: serializeError(err) });
      }
      port.close();
      return;
    }
    try {
      // Parser functions cannot cross threads; the caller names the type
      // oids it wants as raw text (drizzle does that for dates and intervals).
      /** @type {Record<number, (v: string) => string>} */
      const parsers = {};
      for (const oid of msg.rawTypes) parsers[oid] = raw;
      const res = await pg.query(msg.sql, msg.params, { rowMode: msg.rowMode, parsers });
      port.postMessage({
        id: msg.id,
        ok: true,
        result: { rows: res.rows, fields: res.fields, affectedRows: res.affectedRows },
      });
    } catch (err) {
      port.postMessage({ id: msg.id, ok: false, error: serializeError(err) });
    }
  });
  port.postMessage({ kind: 'ready' });
}

void main();
