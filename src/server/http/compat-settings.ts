import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerConfig, SourceConfig } from '../config.js';
import { httpError } from '../errors.js';
import { validHost } from './host-header.js';
import { basicAuthUser } from './write-key-auth.js';

export { validHost };

/**
 * The configuration that third-party browser SDKs fetch before they send anything, answered
 * by Ferry itself so that changing one URL is the whole migration:
 * - analytics.js (`@segment/analytics-next`): `GET /v1/projects/:writeKey/settings` (its cdnURL);
 * - RudderStack's JavaScript SDK v3: `GET /sourceConfig/?writeKey=…` (its configUrl).
 * Both answers send the client's events to this server and switch off everything that would
 * reach the vendor (device-mode integrations, remote metrics, error reporting): routing
 * happens on the server.
 */

export interface CompatSettingsOptions {
  config: Readonly<ServerConfig>;
}

/** Where browsers reach this server: scheme, host[:port] and path prefix, no trailing slash. */
export interface PublicBase {
  protocol: 'http' | 'https';
  /** host[:port] followed by the path prefix, if any (e.g. `collect.example.com/ferry`). */
  hostAndPath: string;
  /** True when it came from the request, so no shared cache may keep the answer. */
  fromRequest: boolean;
}

/** Answers derived from the configured publicUrl are the same for everybody: caches may keep them a while. */
const CACHE_SECONDS = 60;

/**
 * The configured publicUrl wins: it cannot be steered by a request. Without one, the address
 * comes from the request as fastify reads it under the configured `trustProxy`: the Host header
 * and the connection's scheme, or, only from a trusted proxy, its X-Forwarded-Host and
 * X-Forwarded-Proto (last entry). The host must be a plain host[:port] (a hostile one only
 * changes the answer to its own sender; `no-store` keeps shared caches from handing that answer
 * to anybody else).
 */
export function publicBase(publicUrl: string | undefined, req: Pick<FastifyRequest, 'protocol' | 'host'>): PublicBase {
  if (publicUrl) {
    const url = new URL(publicUrl);
    return { protocol: url.protocol === 'https:' ? 'https' : 'http', hostAndPath: `${url.host}${url.pathname.replace(/\/+$/, '')}`, fromRequest: false };
  }
  const host = validHost(req.host);
  if (!host) throw httpError('invalid_body', 'the Host (or a trusted proxy\'s X-Forwarded-Host) is not a plain host[:port]; set publicUrl in the config to serve client settings');
  return { protocol: req.protocol === 'https' ? 'https' : 'http', hostAndPath: host, fromRequest: true };
}

/** analytics.js's CDN settings: its Segment.io integration sends to this server, nothing else is loaded. */
export function segmentSettings(writeKey: string, source: SourceConfig, base: PublicBase): Record<string, unknown> {
  const apiHost = `${base.hostAndPath}/v1`;
  const segmentio: Record<string, unknown> = { apiKey: writeKey, apiHost, protocol: base.protocol, unbundledIntegrations: [], addBundledMetadata: false };
  const batching = source.analyticsJs?.batching;
  if (batching) segmentio.deliveryStrategy = { strategy: 'batching', config: { size: batching.size, timeout: batching.timeoutMs } };
  return {
    integrations: { 'Segment.io': segmentio },
    // analytics.js samples its own metrics to api.segment.io unless the rate is 0.
    metrics: { sampleRate: 0, host: apiHost },
    remotePlugins: [],
    enabledMiddleware: {},
    middlewareSettings: {},
    legacyVideoPluginsEnabled: false,
  };
}

/** RudderStack v3's source configuration: no device-mode destinations, no error or metrics reporting. */
export function rudderSourceConfig(writeKey: string, source: SourceConfig): Record<string, unknown> {
  return {
    isHosted: false,
    source: {
      id: source.name,
      name: source.name,
      writeKey,
      workspaceId: 'ferry',
      enabled: true,
      config: { statsCollection: { errors: { enabled: false }, metrics: { enabled: false } } },
      destinations: [],
    },
  };
}

export const compatSettings: FastifyPluginAsync<CompatSettingsOptions> = async (app, { config }) => {
  const sourceByKey = new Map<string, SourceConfig>();
  for (const s of config.sources) for (const k of s.writeKeys) sourceByKey.set(k, s);

  const known = (key: string | undefined): { key: string; source: SourceConfig } => {
    const source = key === undefined ? undefined : sourceByKey.get(key);
    if (key === undefined || !source) throw httpError('not_found', 'unknown write key');
    return { key, source };
  };
  const send = (reply: FastifyReply, fromRequest: boolean, body: Record<string, unknown>) => {
    if (fromRequest) void reply.header('Cache-Control', 'no-store').header('Vary', 'Host, X-Forwarded-Host, X-Forwarded-Proto');
    else void reply.header('Cache-Control', `public, max-age=${CACHE_SECONDS}`);
    return reply.type('application/json').send(body);
  };

  app.get('/v1/projects/:writeKey/settings', async (req, reply) => {
    const { key, source } = known((req.params as { writeKey: string }).writeKey);
    const base = publicBase(config.publicUrl, req);
    return send(reply, base.fromRequest, segmentSettings(key, source, base));
  });

  // v3 asks for `/sourceConfig/?p=…&v=…&writeKey=…` (with a trailing slash unless its configUrl
  // already ends in /sourceConfig) with the key as Basic auth too; its ad-block probe
  // (`sendAdblockPage`: HEAD `/sourceConfig/?view=ad`) carries the key in Basic auth only, and a
  // failed probe makes it send an extra "adblock page" event per page(). A repeated writeKey
  // parses as an array: not a key. Two different keys name no source.
  const sourceConfig = async (req: FastifyRequest, reply: FastifyReply) => {
    const q = (req.query ?? {}) as Record<string, unknown>;
    const fromQuery = typeof q.writeKey === 'string' ? q.writeKey : q.writeKey === undefined ? undefined : '';
    const fromAuth = basicAuthUser(req.headers.authorization);
    if (fromQuery !== undefined && fromAuth !== undefined && fromQuery !== fromAuth) throw httpError('invalid_body', 'the writeKey query and the Basic auth name different write keys');
    const { key, source } = known(fromQuery ?? fromAuth);
    // Nothing in this answer comes from the request: any cache may keep it.
    return send(reply, false, rudderSourceConfig(key, source));
  };
  app.get('/sourceConfig', sourceConfig);
  app.get('/sourceConfig/', sourceConfig);
};
