import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startFerry, storedEvents, tempDir, type FerryProcess } from './ferry-process.js';
import { startFaultProxy, startSite, type FaultProxy, type Site } from './fault-proxy.js';
import { startSink, type Sink } from './sink.js';
import { readmeSnippet } from './snippet.js';

/**
 * One chaos scenario's world, all real processes on 127.0.0.1:
 *
 *   Chromium pages ─┐
 *   Node clients ───┴─> site (fault proxy, serves pages) ─> ferry serve ─> hook proxy (faults) ─> sink
 *                                                                      └─> extra destinations
 *
 * Ferry can be SIGKILLed and restarted on the same data directory; the site and the hook proxy
 * follow it. What the server stored is read from its SQLite file, and only here (the operator
 * API is not used, so where it lives does not matter to this suite).
 */
export const WRITE_KEY = 'chaos-key';

export interface WorldOptions {
  /** More webhook destinations beside `hook` (for instance a dead one). */
  extraDestinations?: Array<Record<string, unknown>>;
  /** Overrides of the `hook` destination's config. */
  hook?: Record<string, unknown>;
  /** Data directory (a tmpfs for disk trouble); a fresh temp dir by default. */
  dataDir?: string;
}

export interface Delivery {
  destination: string;
  state: string;
  reason: string | null;
  attempts: number;
  messageId: string;
}

export interface World {
  site: Site;
  hook: FaultProxy;
  sink: Sink;
  ferry: FerryProcess;
  dataDir: string;
  /** A page on the site with the README's snippet, loading the SDK with these options. */
  pageUrl(load?: Record<string, unknown>, extra?: string): string;
  /** SIGKILL (or another signal) of the server; the site then answers 502 until `restartFerry`. */
  killFerry(signal?: NodeJS.Signals): Promise<void>;
  restartFerry(): Promise<void>;
  stored(): ReturnType<typeof storedEvents>;
  deliveries(): Delivery[];
  /** A fresh directory for a browser profile, removed with the world. */
  profileDir(): string;
  close(): Promise<void>;
}

/** The SDK options every chaos page starts from: quick flushes, short backoff. */
export const FAST_SDK = { flushIntervalMs: 50, retry: { baseMs: 100, capMs: 1000 } } as const;

export async function startWorld(opts: WorldOptions = {}): Promise<World> {
  const sink = await startSink();
  const hook = await startFaultProxy(sink.url.replace(/\/hook$/, ''));
  const dataDir = opts.dataDir ?? tempDir('ferry-chaos-');
  const config = {
    sources: [{ name: 'web', writeKeys: [WRITE_KEY] }],
    destinations: [
      {
        name: 'hook',
        type: 'webhook',
        url: `${hook.url}/hook`,
        timeoutMs: 2000,
        maxBatchEvents: 100,
        retry: { baseMs: 50, capMs: 1000, maxAttempts: 10_000, windowMs: 3_600_000 },
        ...opts.hook,
      },
      ...(opts.extraDestinations ?? []),
    ],
  };
  // The config file lives outside the data directory, which a scenario may fill or make read-only.
  const configDir = tempDir('ferry-chaos-config-');
  const configFile = join(configDir, 'ferry.config.json');
  writeFileSync(configFile, JSON.stringify(config));
  const start = () => startFerry({ dataDir, args: ['--config', configFile] });
  const ferry = await start();
  const site = await startSite({ ferry, writeKey: WRITE_KEY });
  const profiles: string[] = [];

  const world: World = {
    site,
    hook,
    sink,
    ferry,
    dataDir,
    pageUrl: (load = {}, extra = '') => site.page(readmeSnippet({ src: '/dist/ferry.iife.js', load: { writeKey: WRITE_KEY, ...FAST_SDK, ...load } }) + extra),
    async killFerry(signal = 'SIGKILL') {
      await world.ferry.kill(signal);
    },
    async restartFerry() {
      world.ferry = await start();
      site.ferry = world.ferry;
      // Requests from now on meet a new incarnation: a copy across incarnations is at-least-once.
      site.epoch++;
      hook.epoch++;
    },
    stored: () => storedEvents(dataDir),
    deliveries() {
      const db = new Database(join(dataDir, 'ferry.sqlite'), { readonly: true, fileMustExist: true });
      try {
        return db
          .prepare('SELECT d.destination, d.state, d.reason, d.attempts, e.message_id AS messageId FROM deliveries d JOIN events e ON e.seq = d.event_seq ORDER BY d.id')
          .all() as Delivery[];
      } finally {
        db.close();
      }
    },
    profileDir() {
      const dir = mkdtempSync(join(tmpdir(), 'ferry-chaos-profile-'));
      profiles.push(dir);
      return dir;
    },
    async close() {
      await site.close();
      await world.ferry.kill('SIGKILL');
      await hook.close();
      await sink.close();
      for (const dir of [configDir, ...profiles]) rmSync(dir, { recursive: true, force: true });
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return world;
}
