/**
 * Ferry's browser SDK, npm entry. Importing it does nothing: no storage, timer or global is
 * touched until load().
 *
 *   import { createAnalytics } from 'ferry-events';
 *   const analytics = createAnalytics();
 *   analytics.load({ writeKey: 'KEY', endpoint: 'https://collect.example.com' });
 *   analytics.track('Signed Up', { plan: 'pro' });
 */
import { Analytics } from './analytics.js';

export { Analytics } from './analytics.js';
export type { Properties, Traits, RecordedCall, SdkState } from './analytics.js';
export type { LoadOptions, ResolvedOptions, RetryOptions } from './options.js';
export type { CallOptions } from './event-builder.js';
export type { FlushResult, BackoffState } from './flusher.js';
export type { AnalyticsEvents, DroppedInfo, EventName, Listener } from './emitter.js';
export type { UserState } from './identity.js';
export type { StoreKind } from './queue-store.js';
export { FerryError, type ErrorCode } from '../protocol/errors.js';
export type { FerryEvent, EventType, BatchResponse } from '../protocol/events.js';
export { VERSION } from './version.js';

/**
 * A new, unloaded SDK instance. fflate is fetched as a separate chunk only where CompressionStream
 * is missing, the localStorage queue only where IndexedDB fails.
 */
export function createAnalytics(): Analytics {
  return new Analytics(() => import('./gzip-fallback.js').then((m) => m.gzip), () => import('./queue-kv.js'));
}
