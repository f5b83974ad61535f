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

export class Identity {
  #state: UserState | undefined;

  readonly #useCookie: boolean;
  /** The cookies' Domain: the option, else probed at the first write. */
  #domain: string | undefined;

  constructor(useCookie: boolean, cookieDomain?: string) {
    this.#useCookie = useCookie;
    this.#domain = cookieDomain;
  }

  #read(key: string): string | null {
    const value = getLocal(key);
    return value === null && this.#useCookie && key !== TRAITS ? readCookie(key) : value;
  }

  #write(key: string, value: string | null): void {
    setLocal(key, value);
    if (this.#useCookie && key !== TRAITS) writeCookie(key, value, (this.#domain ??= probeCookieDomain()));
  }

  /** Loaded lazily on first use, never at import. */
  get(): UserState {
    if (this.#state) return this.#state;
    let anonymousId = this.#read(AID);
    let userId = this.#read(UID);
    if (!anonymousId) {
      // Ferry's first load for this visitor: keep the one analytics.js knew, if it did.
      anonymousId = analyticsJsId('ajs_anonymous_id') ?? uuidv4();
      userId ??= analyticsJsId('ajs_user_id');
      if (userId) this.#write(UID, userId);
    }
    // Write back so that localStorage and cookie agree whichever one survived.
    this.#write(AID, anonymousId);
    const traits = getLocalJson(TRAITS);
    this.#state = { anonymousId, userId, traits: isPlainObject(traits) ? traits : {} };
    return this.#state;
  }

  /** identify(): a new userId replaces the old traits; the same userId merges them. */
  identify(userId: string | undefined, traits: Record<string, unknown> | undefined): UserState {
    const state = this.get();
    if (userId !== undefined && userId !== state.userId) {
      if (state.userId !== null) state.traits = {};
      state.userId = userId;
      this.#write(UID, userId);
    }
    if (traits) state.traits = { ...state.traits, ...traits };
    this.#write(TRAITS, JSON.stringify(state.traits));
    return state;
  }

  /** setAnonymousId(): the page names the visitor (an id from its own backend, another SDK). */
  setAnonymousId(anonymousId: string): void {
    this.get().anonymousId = anonymousId;
    this.#write(AID, anonymousId);
  }

  /** A new anonymousId, written at once so that other tabs pick up this one and make none of their own. */
  reset(): void {
    for (const key of [UID, TRAITS, AID]) this.#write(key, null);
    this.#state = undefined;
    this.get();
  }

  /** Another tab changed localStorage (a `storage` event; `null` when it was cleared): read ours again at next use. */
  changed(key: string | null): void {
    if (key === null || key === AID || key === UID || key === TRAITS) this.#state = undefined;
  }
}
