/**
 * A worker thread that checkpoints the SQLite WAL with its own connection. In WAL mode a
 * PASSIVE checkpoint runs beside the writer, so the ingest thread never stalls copying pages
 * back into the database file (which it would do itself with wal_autocheckpoint).
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

const { file, everyMs } = workerData as { file: string; everyMs: number };
const db = new Database(file);
db.pragma('busy_timeout = 50');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // busy: the next round catches up
  }
}, everyMs);
parentPort!.on('message', (msg) => {
  if (msg === 'stop') {
    clearInterval(timer);
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      db.close();
      parentPort!.postMessage('stopped');
    }
  }
});
