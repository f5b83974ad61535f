// The minimal durable collector for the server benchmark, as a new user would write one: a bare
// Node `http` server that gunzips and parses each body, then writes its events in one SQLite
// transaction per request (WAL, synchronous=FULL: on disk before the 200), dropping repeats with
// INSERT OR IGNORE on a unique messageId. Usage: node ref-durable.mjs <data dir>
import http from 'node:http';
import { join } from 'node:path';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';

const gunzipAsync = promisify(gunzip);
const db = new Database(join(process.argv[2], 'ref.sqlite'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec('CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, message_id TEXT NOT NULL UNIQUE, user_id TEXT, received_at INTEGER NOT NULL, body TEXT NOT NULL)');
const insert = db.prepare('INSERT OR IGNORE INTO events (message_id, user_id, received_at, body) VALUES (?, ?, ?, ?)');
const store = db.transaction((events, now) => {
  let accepted = 0;
  for (const e of events) accepted += insert.run(String(e.messageId), e.userId ?? e.anonymousId ?? null, now, JSON.stringify(e)).changes;
  return accepted;
});

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    try {
      const body = JSON.parse((await gunzipAsync(Buffer.concat(chunks))).toString('utf8'));
      const accepted = store(body.batch, Date.now());
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ok: true, accepted }));
    } catch (err) {
      res.writeHead(400).end(String(err));
    }
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => server.close(() => (db.close(), process.exit(0))));
