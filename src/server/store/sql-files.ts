import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Numbered, add-only migrations: sql/<dialect>/migrations/NNN-name.sql, in order. */
export function migrations(dialect: 'sqlite' | 'postgres'): Migration[] {
  const dir = join(packageRoot(), 'sql', dialect, 'migrations');
  return readdirSync(dir)
    .filter((f) => /^\d+-.+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.split('-')[0]), name: f, sql: readFileSync(join(dir, f), 'utf8') }));
}

/** One named statement per state change: sql/<dialect>/statements/<name>.sql. */
export function statements<N extends string>(dialect: 'sqlite' | 'postgres', names: readonly N[]): Record<N, string> {
  const dir = join(packageRoot(), 'sql', dialect, 'statements');
  const out = {} as Record<N, string>;
  for (const name of names) out[name] = readFileSync(join(dir, `${name}.sql`), 'utf8');
  return out;
}
