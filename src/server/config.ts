import { Ajv, type ErrorObject } from 'ajv';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MAX_BATCH_BYTES, MAX_EVENT_BYTES, DEFAULT_DEDUPE_WINDOW_HOURS } from '../protocol/limits.js';
import { EVENT_TYPES } from '../protocol/events.js';
import type { IpPolicy } from './ingest/client-ip.js';

export interface RetryConfig {
  baseMs: number;
  capMs: number;
  /** Attempts before a delivery is aborted. */
  maxAttempts: number;
  /** Time since the first attempt after which a delivery is aborted. */
  windowMs: number;
}

export interface FilterConfig {
  types?: string[];
  events?: string[];
}

interface DestinationBase {
  name: string;
  filter?: FilterConfig;
  /** Path of a JS module whose default export (or `transform`) rewrites or drops (returns null) an event. */
  transform?: string;
  retry: RetryConfig;
  maxBatchEvents: number;
  /**
   * Requests in flight at once (default 1). Safe for ordering: a claimed delivery holds a lease
   * that is renewed while its requests run (see router/lease.ts), the per-user barrier keeps every
   * later event of that user out of the other requests, and a settle only lands if the claim still
   * holds its token. Worth raising for slow destinations with many users; with few users the extra
   * claims find everybody leased and only cost a scan.
   */
  concurrency: number;
}

export interface WebhookDestinationConfig extends DestinationBase {
  type: 'webhook';
  url: string;
  headers: Record<string, string>;
  /** Bound of one request, body included; at most half of `router.leaseMs` (checked at start). */
  timeoutMs: number;
}

export interface FileDestinationConfig extends DestinationBase {
  type: 'file';
  path: string;
  maxBytes: number;
}

export interface MemoryDestinationConfig extends DestinationBase {
  type: 'memory';
}

export type DestinationConfig = WebhookDestinationConfig | FileDestinationConfig | MemoryDestinationConfig;

export interface IdentityCookieConfig {
  /** The SDK's anonymousId cookie name. */
  name: string;
  /** Browsers cap any cookie at 400 days. */
  maxAgeDays: number;
  /** e.g. example.com, so that www.example.com reads a cookie set by collect.example.com. */
  domain?: string;
  secure: boolean;
}

export interface SourceConfig {
  name: string;
  writeKeys: string[];
  /** Destination names this source feeds; all when omitted. */
  destinations?: string[];
  /**
   * `context.ip` of this source's events (filled from the request where the client sent none):
   * `keep` it, `anonymize` it (IPv4 /24, IPv6 /48), or `drop` it.
   */
  ip: IpPolicy;
  /** Options served to analytics.js in its settings (GET /v1/projects/:writeKey/settings). */
  analyticsJs?: { batching?: { size: number; timeoutMs: number } };
  /** Checked at ingestion (ingest/tracking-plan.ts). */
  trackingPlan?: TrackingPlanConfig;
}

/**
 * A source's tracking plan: a JSON Schema per track event name (for its `properties`) and one for
 * identify's `traits`. A violation is flagged (the event is kept with `context.violations`) or
 * rejected (that event alone is listed in the answer's `rejected`); either way it is counted.
 */
export interface TrackingPlanConfig {
  events: Record<string, unknown>;
  identify?: unknown;
  onViolation: 'flag' | 'reject';
  /** A track event whose name the plan does not list: allowed (default) or a violation. */
  unplannedEvents: 'allow' | 'violation';
}

export interface AdminConfig {
  /** Loopback by default; any other address needs a token. */
  host: string;
  port: number;
  /** Bearer token every operator request must carry; required unless host is loopback. */
  token?: string;
  /** Host names (besides loopback ones and `host`) the Host header may name: DNS rebinding guard. */
  allowedHosts: string[];
}

export interface ServerConfig {
  host: string;
  port: number;
  dataDir: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  store: StoreConfig;
  /**
   * What this process does: `ingest` (the public listener), `route` (deliveries), or `all`.
   * Anything but `all` needs a store that several processes share (PostgreSQL).
   */
  role: 'all' | 'ingest' | 'route';
  dedupeWindowHours: number;
  maxEventBytes: number;
  maxBatchBytes: number;
  /** Events accepted but not yet committed; beyond it requests get 503 + Retry-After. */
  maxPendingEvents: number;
  /** Succeeded deliveries and their logs are pruned after this many hours. */
  retentionHours: number;
  shutdownTimeoutMs: number;
  /**
   * Who may connect as a proxy and be believed about the client's address (X-Forwarded-For):
   * false (nobody, the default), true (anybody: only behind a proxy you own), a hop count, or
   * addresses / CIDR ranges. Only the public listener uses it: for logs and for the `context.ip`
   * it fills in (see sources[].ip); no decision rests on it.
   */
  trustProxy: boolean | number | string | string[];
  /** The operator listener: admin API and metrics, apart from the public ingestion listener. */
  admin: AdminConfig;
  /**
   * Where browsers reach this server (`https://collect.example.com`, a path prefix allowed):
   * the address served to analytics.js in its settings. Without it the request's Host is used.
   */
  publicUrl?: string;
  router: RouterConfig;
  /** Optional: GET /v1/identity re-issues the SDK's anonymousId cookie from the server (outlives Safari's 7-day cap on script cookies). */
  identityCookie?: IdentityCookieConfig;
  sources: SourceConfig[];
  destinations: DestinationConfig[];
}

/** SQLite: one file in dataDir, one process. PostgreSQL: one database, any number of processes. */
export type StoreConfig =
  | { kind: 'sqlite' }
  /** connectTimeoutMs: a new connection that is not ready within it fails (a silent server never hangs the start). */
  | { kind: 'postgres'; url: string; poolSize: number; connectTimeoutMs: number };

export interface RouterConfig {
  /**
   * How long a claim keeps its deliveries from other runners (default 60 s). It is renewed while
   * the claim's requests run; it only runs out when its holder stalls or dies. Tests shrink it.
   */
  leaseMs: number;
  /**
   * PostgreSQL only: how long a route process keeps its router partitions without renewing them
   * (default 5 s; renewed every third of it). A dead process's users are taken over after this.
   */
  partitionLeaseMs: number;
}

const retrySchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    baseMs: { type: 'integer', minimum: 1, default: 1000 },
    capMs: { type: 'integer', minimum: 1, default: 10 * 60_000 },
    maxAttempts: { type: 'integer', minimum: 1, default: 50 },
    windowMs: { type: 'integer', minimum: 1, default: 24 * 3600_000 },
  },
};

const filterSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    types: { type: 'array', items: { enum: [...EVENT_TYPES] } },
    events: { type: 'array', items: { type: 'string' } },
  },
};

const destinationCommon = {
  name: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
  filter: filterSchema,
  transform: { type: 'string', minLength: 1 },
  retry: retrySchema,
  maxBatchEvents: { type: 'integer', minimum: 1, maximum: 10_000, default: 100 },
  concurrency: { type: 'integer', minimum: 1, maximum: 32, default: 1 },
};

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['sources'],
  properties: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'integer', minimum: 0, maximum: 65535, default: 8080 },
    dataDir: { type: 'string', default: './data' },
    logLevel: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
    store: {
      type: 'object',
      default: { kind: 'sqlite' },
      required: ['kind'],
      properties: { kind: { enum: ['sqlite', 'postgres'] } },
      allOf: [
        { if: { properties: { kind: { const: 'sqlite' } } }, then: { additionalProperties: false, properties: { kind: { const: 'sqlite' } } } },
        {
          if: { properties: { kind: { const: 'postgres' } } },
          then: {
            additionalProperties: false,
            required: ['url'],
            properties: {
              kind: { const: 'postgres' },
              url: { type: 'string', pattern: '^postgres(ql)?://' },
              poolSize: { type: 'integer', minimum: 1, maximum: 1000, default: 10 },
              connectTimeoutMs: { type: 'integer', minimum: 100, maximum: 600_000, default: 10_000 },
            },
          },
        },
      ],
    },
    role: { enum: ['all', 'ingest', 'route'], default: 'all' },
    dedupeWindowHours: { type: 'number', exclusiveMinimum: 0, default: DEFAULT_DEDUPE_WINDOW_HOURS },
    maxEventBytes: { type: 'integer', minimum: 1024, maximum: MAX_EVENT_BYTES, default: MAX_EVENT_BYTES },
    maxBatchBytes: { type: 'integer', minimum: 1024, maximum: MAX_BATCH_BYTES, default: MAX_BATCH_BYTES },
    maxPendingEvents: { type: 'integer', minimum: 1, default: 200_000 },
    retentionHours: { type: 'number', exclusiveMinimum: 0, default: 7 * 24 },
    shutdownTimeoutMs: { type: 'integer', minimum: 0, default: 10_000 },
    trustProxy: {
      default: false,
      oneOf: [{ type: 'boolean' }, { type: 'integer', minimum: 1 }, { type: 'string', minLength: 1 }, { type: 'array', items: { type: 'string', minLength: 1 } }],
    },
    admin: {
      type: 'object',
      default: {},
      additionalProperties: false,
      properties: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'integer', minimum: 0, maximum: 65535, default: 8081 },
        token: { type: 'string', minLength: 16 },
        allowedHosts: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
      },
    },
    publicUrl: { type: 'string', pattern: '^https?://[^/?#@\\s]+(/[^?#\\s]*)?$' },
    router: {
      type: 'object',
      default: {},
      additionalProperties: false,
      properties: {
        leaseMs: { type: 'integer', minimum: 500, maximum: 3600_000, default: 60_000 },
        partitionLeaseMs: { type: 'integer', minimum: 300, maximum: 600_000, default: 5000 },
      },
    },
    identityCookie: {
      type: 'object',
      additionalProperties: false,
      properties: {
        name: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$', default: 'ferry_aid' },
        maxAgeDays: { type: 'integer', minimum: 1, maximum: 400, default: 400 },
        domain: { type: 'string', pattern: '^[A-Za-z0-9.-]{1,253}$' },
        secure: { type: 'boolean', default: true },
      },
    },
    sources: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'writeKeys'],
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
          writeKeys: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
          destinations: { type: 'array', items: { type: 'string' } },
          trackingPlan: {
            type: 'object',
            additionalProperties: false,
            required: ['onViolation'],
            properties: {
              onViolation: { enum: ['flag', 'reject'] },
              events: { type: 'object', additionalProperties: { type: ['object', 'boolean'] }, default: {} },
              identify: { type: ['object', 'boolean'] },
              unplannedEvents: { enum: ['allow', 'violation'], default: 'allow' },
            },
          },
          ip: { enum: ['keep', 'anonymize', 'drop'], default: 'keep' },
          analyticsJs: {
            type: 'object',
            additionalProperties: false,
            properties: {
              batching: {
                type: 'object',
                additionalProperties: false,
                properties: {
                  size: { type: 'integer', minimum: 1, maximum: 1000, default: 10 },
                  timeoutMs: { type: 'integer', minimum: 1, maximum: 600_000, default: 5000 },
                },
              },
            },
          },
        },
      },
    },
    destinations: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        required: ['name', 'type'],
        properties: { type: { enum: ['webhook', 'file', 'memory'] } },
        allOf: [
          {
            if: { properties: { type: { const: 'webhook' } } },
            then: {
              additionalProperties: false,
              required: ['url'],
              properties: {
                ...destinationCommon,
                type: { const: 'webhook' },
                url: { type: 'string', pattern: '^https?://' },
                headers: { type: 'object', additionalProperties: { type: 'string' }, default: {} },
                timeoutMs: { type: 'integer', minimum: 1, default: 10_000 },
              },
            },
          },
          {
            if: { properties: { type: { const: 'file' } } },
            then: {
              additionalProperties: false,
              required: ['path'],
              properties: {
                ...destinationCommon,
                type: { const: 'file' },
                path: { type: 'string', minLength: 1 },
                maxBytes: { type: 'integer', minimum: 1024, default: 64 * 1024 * 1024 },
              },
            },
          },
          {
            if: { properties: { type: { const: 'memory' } } },
            then: { additionalProperties: false, properties: { ...destinationCommon, type: { const: 'memory' } } },
          },
        ],
      },
    },
  },
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function describe(e: ErrorObject): string {
  const where = e.instancePath ? e.instancePath.replace(/^\//, '').replace(/\//g, '.') : '(top level)';
  if (e.keyword === 'additionalProperties') return `${where}: unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  if (e.keyword === 'required') return `${where}: missing field "${(e.params as { missingProperty: string }).missingProperty}"`;
  if (e.keyword === 'enum') return `${where}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  return `${where}: ${e.message ?? 'is invalid'}`;
}

const ajv = new Ajv({ allErrors: false, useDefaults: true, strict: false });
const check = ajv.compile(schema);

/** Addresses only this machine can connect to. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || /^::ffff:127\.\d+\.\d+\.\d+$/.test(h);
}

/** Validates (filling defaults) and freezes; throws a ConfigError that names the field. */
export function validateConfig(input: unknown): Readonly<ServerConfig> {
  if (input && typeof input === 'object' && 'adminToken' in input) {
    throw new ConfigError('invalid config: "adminToken" is now "admin": { "token": … } (the operator listener, see the README)');
  }
  const copy = structuredClone(input);
  if (!check(copy)) {
    const errors = (check.errors ?? []).filter((e) => e.keyword !== 'if');
    throw new ConfigError(`invalid config: ${errors.map(describe).join('; ')}`);
  }
  const config = copy as unknown as ServerConfig;
  const { admin } = config;
  if (!admin.token && !isLoopback(admin.host)) {
    throw new ConfigError(`invalid config: admin.host: "${admin.host}" is not a loopback address, so admin.token is required`);
  }
  if (config.role !== 'all' && config.store.kind !== 'postgres') {
    throw new ConfigError(`invalid config: role: "${config.role}" needs a store that several processes share: store.kind "postgres" (--store postgres://…)`);
  }
  if (admin.port !== 0 && admin.port === config.port) throw new ConfigError('invalid config: admin.port: the operator listener needs a port of its own');
  const names = new Set<string>();
  for (const d of config.destinations) {
    if (names.has(d.name)) throw new ConfigError(`invalid config: destinations: the name "${d.name}" is used twice`);
    names.add(d.name);
    // A request must end inside the lease that keeps other runners from sending the same events;
    // half leaves room for the renewal that precedes a request when the lease runs low.
    if (d.type === 'webhook' && d.timeoutMs * 2 > config.router.leaseMs) {
      throw new ConfigError(`invalid config: destinations.${d.name}.timeoutMs: ${d.timeoutMs} ms is more than half of router.leaseMs (${config.router.leaseMs} ms); lower the timeout or raise the lease`);
    }
  }
  const keys = new Map<string, string>();
  for (const s of config.sources) {
    for (const k of s.writeKeys) {
      if (keys.has(k)) throw new ConfigError(`invalid config: sources.${s.name}.writeKeys: "${k}" already belongs to source "${keys.get(k)}"`);
      keys.set(k, s.name);
    }
    for (const d of s.destinations ?? []) {
      if (!names.has(d)) throw new ConfigError(`invalid config: sources.${s.name}.destinations: no destination is named "${d}"`);
    }
  }
  if (config.publicUrl !== undefined && !URL.canParse(config.publicUrl)) throw new ConfigError(`invalid config: publicUrl: "${config.publicUrl}" is not a URL`);
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Reads a JSON file, or a JS module whose default export is the config object. */
export async function loadConfigFile(path: string): Promise<unknown> {
  const full = resolve(path);
  if (/\.(c|m)?js$/.test(full)) {
    const mod = (await import(pathToFileURL(full).href)) as { default?: unknown };
    return mod.default;
  }
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${full}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${full} is not valid JSON: ${(err as Error).message}`);
  }
}
