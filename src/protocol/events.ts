/** Segment-spec event shapes shared by the SDK and the server. */

export type EventType = 'track' | 'page' | 'screen' | 'identify' | 'group' | 'alias';

export const EVENT_TYPES: readonly EventType[] = ['track', 'page', 'screen', 'identify', 'group', 'alias'];

export interface EventContext {
  library?: { name: string; version: string };
  page?: { path: string; referrer: string; search: string; title: string; url: string };
  userAgent?: string;
  locale?: string;
  timezone?: string;
  screen?: { width: number; height: number; density?: number };
  [key: string]: unknown;
}

export interface FerryEvent {
  type: EventType;
  messageId: string;
  anonymousId?: string | null;
  userId?: string | null;
  event?: string;
  name?: string;
  category?: string;
  properties?: Record<string, unknown>;
  traits?: Record<string, unknown>;
  groupId?: string;
  previousId?: string;
  context?: EventContext;
  integrations?: Record<string, unknown>;
  timestamp?: string;
  originalTimestamp?: string;
  sentAt?: string;
  receivedAt?: string;
  [key: string]: unknown;
}

export interface BatchRequest {
  batch: FerryEvent[];
  sentAt?: string;
  writeKey?: string;
  context?: EventContext;
  integrations?: Record<string, unknown>;
}

export interface RejectedEvent {
  index: number;
  reason: string;
  code: string;
}

export interface BatchResponse {
  ok: true;
  accepted: number;
  duplicates: number;
  rejected: RejectedEvent[];
}

export interface ErrorResponse {
  ok: false;
  code: string;
  error: string;
}
