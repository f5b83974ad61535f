import { uuidv4 } from '../protocol/uuid.js';
import { isPlainObject } from '../protocol/json.js';
import { analyticsJsId } from './ajs-identity.js';
import { getLocal, getLocalJson, probeCookieDomain, readCookie, setLocal, writeCookie } from './cookies.js';

/**
 * anonymousId, userId and traits, kept in localStorage; the ids are mirrored into
 * first-party cookies so that they survive a cleared localStorage and reach the site's other
 * subdomains (the cookies are set on the registrable domain, or `cookieDomain`). Reads prefer
 * localStorage, then the cookie. Storage that throws (sandboxed iframes, disabled
 * cookies) only costs persistence, never the call.
 */

const AID = 'ferry_aid';
const UID = 'ferry_uid';
const TRAITS = 'ferry_traits';

export interface UserState {
  anonymousId: string;
  userId: string | null;
  traits: Record<string, unknown>;
}

export interface Identity {
  /** Loaded lazily on first use, never at import. */
  get(): UserState;
  /** identify(): a new userId replaces the old traits; the same userId merges them (traits that are no object are none). */
  identify(userId: string | undefined, traits: unknown): UserState;
  /** setAnonymousId(): the page names the visitor (an id from its own backend, another SDK). */
  setAnonymousId(anonymousId: string): void;
  /** A new anonymousId, written at once so that other tabs pick up this one and make none of their own. */
  reset(): void;
  /** Another tab changed localStorage (a `storage` event; `null` when it was cleared): read ours again at next use. */
  changed(key: string | null): void;
}

/** `cookieDomain`: the cookies' Domain; without it, probed at the first write. */
export function createIdentity(useCookie: boolean, cookieDomain?: string): Identity {
  let state: UserState | undefined;
  // The ids only: the traits live in localStorage alone.
  const read = (key: string) => getLocal(key) ?? (useCookie ? readCookie(key) : null);
  const write = (key: string, value: string | null) => {
    setLocal(key, value);
    if (useCookie) writeCookie(key, value, (cookieDomain ??= probeCookieDomain()));
  };
  const identity: Identity = {
    get() {
      if (state) return state;
      let anonymousId = read(AID);
      let userId = read(UID);
      if (!anonymousId) {
        // Ferry's first load for this visitor: keep the one analytics.js knew, if it did.
        anonymousId = analyticsJsId('ajs_anonymous_id') ?? uuidv4();
        userId ??= analyticsJsId('ajs_user_id');
        if (userId) write(UID, userId);
      }
      // Write back so that localStorage and cookie agree whichever one survived.
      write(AID, anonymousId);
      const traits = getLocalJson(TRAITS);
      return (state = { anonymousId, userId, traits: isPlainObject(traits) ? traits : {} });
    },
    identify(userId, traits) {
      const current = identity.get();
      if (userId !== undefined && userId !== current.userId) {
        if (current.userId !== null) current.traits = {};
        current.userId = userId;
        write(UID, userId);
      }
      if (isPlainObject(traits)) current.traits = { ...current.traits, ...traits };
      setLocal(TRAITS, JSON.stringify(current.traits));
      return current;
    },
    setAnonymousId(anonymousId) {
      identity.get().anonymousId = anonymousId;
      write(AID, anonymousId);
    },
    reset() {
      // A new id of its own: with none stored, get() would adopt analytics.js's ids again.
      write(UID, null);
      setLocal(TRAITS, null);
      state = { anonymousId: uuidv4(), userId: null, traits: {} };
      write(AID, state.anonymousId);
    },
    changed(key) {
      if ([null, AID, UID, TRAITS].includes(key)) state = undefined;
    },
  };
  return identity;
}
