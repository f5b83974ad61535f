import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (where sql/ lives), from src/ (tests) or dist/ (the built server). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'sql'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the sql/ folder of the ferry package');
    dir = up;
  }
  return dir;
}

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
