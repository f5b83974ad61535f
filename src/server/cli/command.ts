import type { ParseArgsConfig } from 'node:util';
import { usageError, type AdminClient } from './admin-client.js';

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | Array<string | boolean> | undefined>;

export interface CommandContext {
  client: AdminClient;
  values: Values;
  positionals: string[];
  /** `--json`: print the server's answer as JSON, for scripts. */
  json: boolean;
  print(text: string): void;
}

/** One operator subcommand: its help and its run. */
export interface Command {
  usage: string;
  summary: string;
  options: Options;
  /** How many positionals it takes: [min, max]. */
  positionals?: [number, number];
  run(ctx: CommandContext): Promise<void>;
}

export const str = (v: Values, name: string) => v[name] as string | undefined;
export const strs = (v: Values, name: string) => (v[name] as string[] | undefined) ?? [];

export function int(v: Values, name: string): number | undefined {
  const s = str(v, name);
  if (s === undefined) return undefined;
  if (!/^\d{1,15}$/.test(s)) throw usageError(`--${name} must be a whole number, got "${s}"`);
  return Number(s);
}

export function ints(v: Values, name: string): number[] {
  return strs(v, name).map((s) => {
    if (!/^\d{1,15}$/.test(s)) throw usageError(`--${name} must be a whole number, got "${s}"`);
    return Number(s);
  });
}

export function oneOf<T extends string>(v: Values, name: string, allowed: readonly T[]): T | undefined {
  const s = str(v, name);
  if (s !== undefined && !allowed.includes(s as T)) throw usageError(`--${name} must be one of ${allowed.join(', ')}, got "${s}"`);
  return s as T | undefined;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A point in time as an ISO string: an ISO date or date-time, epoch milliseconds, or a
 * duration ago (`90s`, `30m`, `2h`, `7d`).
 */
export function when(v: Values, name: string, now = Date.now()): string | undefined {
  const s = str(v, name);
  if (s === undefined) return undefined;
  const ago = /^(\d{1,9})([smhd])$/.exec(s);
  const ms = ago ? now - Number(ago[1]) * UNIT_MS[ago[2]!]! : /^\d{1,15}$/.test(s) ? Number(s) : /^\d{4}-\d{2}-\d{2}/.test(s) ? Date.parse(s) : NaN;
  if (!Number.isFinite(ms)) throw usageError(`--${name} must be an ISO date, epoch milliseconds or a duration ago like 2h, got "${s}"`);
  return new Date(ms).toISOString();
}

/** A query string of the defined values. */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
