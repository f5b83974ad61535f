import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FerryEvent } from '../../protocol/events.js';
import { ConfigError } from '../config.js';

/** Returns the event to send (rewritten or not), or null to drop it. May be async. */
export type TransformFn = (event: FerryEvent) => FerryEvent | null | Promise<FerryEvent | null>;

/** Loads a destination's transform module once, at start: a bad module is a config error. */
export async function loadTransform(path: string, destination: string): Promise<TransformFn> {
  let mod: { default?: unknown; transform?: unknown };
  try {
    mod = (await import(pathToFileURL(resolve(path)).href)) as typeof mod;
  } catch (err) {
    throw new ConfigError(`destinations.${destination}.transform: cannot load ${path}: ${(err as Error).message}`);
  }
  const fn = typeof mod.default === 'function' ? mod.default : mod.transform;
  if (typeof fn !== 'function') throw new ConfigError(`destinations.${destination}.transform: ${path} exports no function (default or "transform")`);
  return fn as TransformFn;
}
