import type { BackoffState } from './flusher.js';

/** What one tab tells the others of its origin and write key. */
export interface TabNews {
  /** Local ids of events that are settled (delivered, dropped or evicted). */
  gone?: string[];
  /** The shared backoff, as just stored. */
  backoff?: BackoffState;
}

/**
 * Tabs learn what the sending tab settled, so that a page-hide request never re-sends what
 * another tab delivered and never ignores the backoff another tab stored. Without
 * BroadcastChannel (before 2022) each tab only knows its own news; dedupe absorbs the rest.
 */
export function openTabChannel(writeKey: string, onNews: (news: TabNews) => void): BroadcastChannel | undefined {
  if (typeof BroadcastChannel !== 'function') return undefined;
  const channel = new BroadcastChannel(`ferry-${writeKey}`);
  channel.onmessage = (e: MessageEvent<TabNews>) => onNews(e.data);
  return channel;
}
