import { FerryError } from '../protocol/errors.js';
import { isPlainObject } from '../protocol/json.js';
import { attempt, getLocalJson, setLocal } from './cookies.js';

export type ConsentState = 'pending' | 'granted' | 'denied';
/** A decision as the page states it: a state, or per-category preferences (any true grants, all false denies). */
export type ConsentUpdate = ConsentState | { categories: Record<string, boolean> };

export interface Consent {
  state: ConsentState;
  /** Travels as `context.consent.categoryPreferences`. */
  categories?: Record<string, boolean>;
}

/**
 * The latest decision of any tab of the origin, kept beside the identity in localStorage: a
 * reload starts from it, another tab hears it (a `storage` event) and the sending tab reads it
 * before every request, so no tab sends while the latest decision says otherwise.
 */
export const CONSENT_KEY = 'ferry_consent';

function toConsent(update: unknown): Consent {
  if (update === 'pending' || update === 'granted' || update === 'denied') return { state: update };
  const categories = isPlainObject(update) && update.categories;
  if (!isPlainObject(categories)) throw new FerryError('invalid_call', `consent: ${JSON.stringify(update)} is no state nor { categories }`);
  return { state: Object.values(categories).includes(true) ? 'granted' : 'denied', categories: categories as Record<string, boolean> };
}

/** The stored decision, if any (and readable). */
export function storedConsent(): Consent | undefined {
  return attempt(() => toConsent(getLocalJson(CONSENT_KEY)));
}

/** The page's decision, stored for every tab of the origin (unusable storage: this tab still honours it). */
export function decide(update: unknown): Consent {
  const consent = toConsent(update);
  setLocal(CONSENT_KEY, JSON.stringify(consent.categories ? { categories: consent.categories } : consent.state));
  return consent;
}

/**
 * The state at load. A decision given to load() is the latest one and is stored; 'pending' or
 * nothing defers to the stored decision, else stays pending ('pending') or sends (no option,
 * as before consent existed). A pending start is stored too, so that another tab of the origin
 * loaded without a consent option does not send what this one queued while pending. With
 * `gpc`, a browser sending Global Privacy Control starts denied unless the visitor decided
 * otherwise through consent() since.
 */
export function consentAtLoad(given: ConsentUpdate | undefined, gpc: boolean): Consent {
  const signal = gpc && (globalThis as { navigator?: { globalPrivacyControl?: boolean } }).navigator?.globalPrivacyControl === true;
  if (given !== undefined && given !== 'pending' && !signal) return decide(given);
  // A stored pending start is nobody's decision: Global Privacy Control still denies.
  const stored = storedConsent();
  if (stored && !(signal && stored.state === 'pending')) return stored;
  if (signal) return { state: 'denied' };
  // A pending start is stored, so that another tab loaded without the option does not send.
  return given === 'pending' ? decide(given) : { state: 'granted' };
}
