// The SDKs compared, each as a site would load it with a <script> tag: its browser build from
// node_modules, its default settings, pointed at the local collector. Each page sets
// `window.__bench = { ready, track(name, properties) }`; `ready` settles when the SDK says it
// has loaded. `track` is the SDK's closest call to Segment's track(name, properties).
import { readFileSync } from 'node:fs';

const modules = new URL('../../node_modules/', import.meta.url);
const root = new URL('../../', import.meta.url);
const versionOf = (dir) => JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')).version;

const page = (scripts) => `<!doctype html><html><head><title>bench</title>${scripts}</head><body><h1>Product</h1></body></html>`;

const segment = new URL('@segment/analytics-next/', modules);
const rudder = new URL('@rudderstack/analytics-js/', modules);
const posthog = new URL('posthog-js/', modules);
const amplitude = new URL('@amplitude/analytics-browser/', modules);
const snowplow = new URL('@snowplow/browser-tracker/', modules);

export const SDKS = [
  {
    name: 'Ferry',
    version: versionOf(root),
    files: { '/lib/ferry.iife.js': new URL('dist/ferry.iife.js', root) },
    html: page(`<script src="/lib/ferry.iife.js"></script><script>
      window.__bench = { ready: ferry.load({ writeKey: 'bench', endpoint: location.origin }), track: (n, p) => ferry.track(n, p) };
    </script>`),
  },
  {
    name: '@segment/analytics-next',
    version: versionOf(segment),
    // Its lazily loaded chunks sit beside the bundle.
    dirs: { '/lib/segment/': new URL('dist/umd/', segment) },
    html: page(`<script src="/lib/segment/index.js"></script><script>
      const browser = AnalyticsNext.AnalyticsBrowser.load({ writeKey: 'bench', cdnURL: location.origin });
      window.__bench = { track: (n, p) => browser.track(n, p) };
      // Once loaded, the instance itself, as the CDN snippet's window.analytics is.
      window.__bench.ready = browser.then(([a]) => { window.__bench.track = (n, p) => a.track(n, p); });
    </script>`),
  },
  {
    name: '@rudderstack/analytics-js',
    version: versionOf(rudder),
    // The bundled build: every plugin inside, nothing fetched from RudderStack's CDN.
    files: { '/lib/rudder.js': new URL('dist/npm/modern/bundled/umd/index.js', rudder) },
    html: page(`<script src="/lib/rudder.js"></script><script>
      const ra = new rudderanalytics.RudderAnalytics();
      ra.load('bench', location.origin, { configUrl: location.origin });
      window.__bench = { ready: new Promise((r) => ra.ready(r)), track: (n, p) => ra.track(n, p) };
    </script>`),
  },
  {
    name: 'posthog-js',
    version: versionOf(posthog),
    // array.js is its <script> build; it loads its extensions from the api host's /static/.
    dirs: { '/static/': new URL('dist/', posthog) },
    html: page(`<script src="/static/array.js"></script><script>
      let loaded;
      window.__bench = { ready: new Promise((r) => (loaded = r)), track: (n, p) => posthog.capture(n, p) };
      // Its bot filter counts Playwright's navigator.webdriver as a bot; a visitor's browser would not be one.
      posthog.init('bench', { api_host: location.origin, opt_out_useragent_filter: true, loaded: () => loaded() });
    </script>`),
  },
  {
    name: '@amplitude/analytics-browser',
    version: versionOf(amplitude),
    files: { '/lib/amplitude.js': new URL('lib/scripts/amplitude-min.umd.js', amplitude) },
    html: page(`<script src="/lib/amplitude.js"></script><script>
      window.__bench = {
        ready: amplitude.init('bench', { serverUrl: location.origin + '/2/httpapi' }).promise,
        track: (n, p) => amplitude.track(n, p),
      };
    </script>`),
  },
  {
    name: '@snowplow/browser-tracker',
    version: versionOf(snowplow),
    files: { '/lib/snowplow.js': new URL('dist/index.umd.min.js', snowplow) },
    // Snowplow has no track(name, properties): a self-describing event carries them.
    html: page(`<script src="/lib/snowplow.js"></script><script>
      snowplowBrowserTracking.newTracker('sp', location.origin, { appId: 'bench' });
      window.__bench = {
        ready: Promise.resolve(),
        track: (n, p) => snowplowBrowserTracking.trackSelfDescribingEvent({ event: { schema: 'iglu:com.example/' + n.replace(/\\W/g, '_') + '/jsonschema/1-0-0', data: p } }),
      };
    </script>`),
  },
];

/** What the SDKs fetch before sending: answered so that they send here and load nothing else. */
export function settingsAnswer(path, origin, url) {
  const host = origin.replace(/^http:\/\//, '');
  // analytics.js: its Segment.io integration sends here; no metrics, no remote plugins (as Ferry's own compat-settings answers).
  if (/^\/v1\/projects\/[^/]+\/settings$/.test(path)) {
    return {
      integrations: { 'Segment.io': { apiKey: 'bench', apiHost: `${host}/v1`, protocol: 'http', unbundledIntegrations: [], addBundledMetadata: false } },
      metrics: { sampleRate: 0, host: `${host}/v1` },
      remotePlugins: [],
      enabledMiddleware: {},
      middlewareSettings: {},
      legacyVideoPluginsEnabled: false,
    };
  }
  if (path.startsWith('/sourceConfig')) {
    return {
      isHosted: false,
      source: { id: 'bench', name: 'bench', writeKey: url.searchParams.get('writeKey') ?? 'bench', workspaceId: 'bench', enabled: true, config: { statsCollection: { errors: { enabled: false }, metrics: { enabled: false } } }, destinations: [] },
    };
  }
  // PostHog's flags and remote config: a project with nothing switched on remotely, gzip supported (as its cloud answers).
  const posthog = /^\/array\/([^/]+)\/config(\.js)?$/.exec(path);
  if (posthog?.[2]) return `(window._POSTHOG_REMOTE_CONFIG = window._POSTHOG_REMOTE_CONFIG || {})[${JSON.stringify(posthog[1])}] = { config: ${JSON.stringify(posthogConfig)}, siteApps: [] };`;
  if (posthog || path.startsWith('/flags') || path.startsWith('/decide')) return posthogConfig;
  return undefined;
}

const posthogConfig = { featureFlags: {}, flags: {}, featureFlagPayloads: {}, errorsWhileComputingFlags: false, supportedCompression: ['gzip', 'gzip-js'], sessionRecording: false, autocapture_opt_out: false, capturePerformance: false, heatmaps: false, surveys: false, siteApps: [], toolbarParams: {}, token: 'bench' };
