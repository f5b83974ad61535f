import type { FerryEvent } from '../../protocol/events.js';
import type { IdentityLink } from '../store/types.js';

/**
 * The identity links one validated event makes: its userId with its anonymousId (identify, and
 * every call after it), and an alias's userId with its previousId. Erasure follows them (G11).
 */
export function identityLinks(event: FerryEvent): IdentityLink[] {
  const userId = event.userId;
  if (!userId) return [];
  const links: IdentityLink[] = [];
  if (event.anonymousId && event.anonymousId !== userId) links.push({ userId, otherId: event.anonymousId, kind: 'anonymousId' });
  if (event.type === 'alias' && event.previousId && event.previousId !== userId) links.push({ userId, otherId: event.previousId, kind: 'previousId' });
  return links;
}
