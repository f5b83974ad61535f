import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { SqliteStore } from '../../src/server/store/sqlite-store.js';
import { statements } from '../../src/server/store/sql-files.js';
import { cleanup, tempDir } from '../helpers/ferry-process.js';

/** Every named statement that runs per request, per claim or settle, or on the pruning timer. */
const HOT = {
  ingest: ['claim-message-id', 'append-event', 'create-delivery'],
  claim: ['claim-sources', 'claim-lanes', 'claim-deliveries', 'lease-delivery', 'refresh-lanes', 'close-lanes', 'renew-lease'],
  settle: ['mark-succeeded', 'mark-failed', 'mark-aborted', 'log-attempt', 'release-delivery'],
  prune: ['prune-dedupe', 'succeeded-to-prune', 'prune-attempts', 'prune-deliveries', 'prune-orphan-events'],
  'retry/abort by id': ['retry-deliveries-by-id', 'abort-deliveries'],
  counts: ['count-live', 'count-done', 'count-blocked'],
} as const;
const TABLES = ['events', 'deliveries', 'delivery_log'];

const dir = tempDir();
const store = new SqliteStore(dir);
const db = new Database(join(dir, 'ferry.sqlite'), { readonly: true });
afterAll(async () => {
  db.close();
  await store.close();
  cleanup(dir);
});

/** EXPLAIN QUERY PLAN of one statement, every parameter bound to NULL. */
function plan(sql: string): string[] {
  const named = Object.fromEntries([...sql.matchAll(/@(\w+)/g)].map((m) => [m[1], null]));
  const positional = Array.from(sql.replace(/--.*$/gm, '').matchAll(/\?/g), () => null);
  const stmt = db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
  const rows = (Object.keys(named).length ? stmt.all(named) : stmt.all(...positional)) as Array<{ detail: string }>;
  return rows.map((r) => r.detail);
}

/** Full scans of a stored table, under its own name or an alias the statement gives it. */
function fullScans(sql: string, details: string[]): string[] {
  const names = new Set(TABLES);
  for (const m of sql.matchAll(/\b(events|deliveries|delivery_log)\s+(?:AS\s+)?(\w+)/gi)) names.add(m[2]!);
  return details.filter((d) => {
    const m = /^SCAN (\w+)/.exec(d);
    return m !== null && names.has(m[1]!);
  });
}

/** The statements inside each trigger, with NEW./OLD. columns turned into parameters. */
function triggerStatements(): Array<{ name: string; sql: string }> {
  const triggers = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all() as Array<{ name: string; sql: string }>;
  return triggers.flatMap((t) => {
    const body = t.sql.slice(t.sql.search(/\bBEGIN\b/i) + 5, t.sql.search(/\bEND\s*$/i));
    const when = /\bWHEN\b([\s\S]*?)\bBEGIN\b/i.exec(t.sql)?.[1];
    const parts = body.split(';').map((s) => s.trim()).filter(Boolean);
    if (when) parts.push(`SELECT ${when}`);
    return parts.map((sql) => ({ name: t.name, sql: sql.replace(/\b(NEW|OLD)\.(\w+)/g, '@$1_$2') }));
  });
}

describe('every statement on a hot or periodic path uses an index', () => {
  for (const [path, names] of Object.entries(HOT)) {
    it.each(names)(`${path}: %s scans no stored table`, (name) => {
      const sql = statements('sqlite', [name])[name];
      const details = plan(sql);
      expect(fullScans(sql, details), details.join('\n')).toEqual([]);
    });
  }

  it('so do the statements of every trigger (they run inside the statements above)', () => {
    const found = triggerStatements();
    expect(found.length).toBeGreaterThan(0);
    for (const { name, sql } of found) {
      const details = plan(sql);
      expect(fullScans(sql, details), `${name}: ${sql}\n${details.join('\n')}`).toEqual([]);
    }
  });

  it('notices a full scan (the check itself can fail)', () => {
    const sql = 'SELECT seq FROM events e WHERE e.body LIKE @q';
    expect(fullScans(sql, plan(sql))).toEqual(['SCAN e']);
  });
});
