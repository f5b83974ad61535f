import { uuidv4 } from '../protocol/uuid.js';
import { isPlainObject } from '../protocol/json.js';

/**
 * anonymousId, userId and traits, kept in localStorage; the ids are mirrored into
 * first-party cookies so that they survive a cleared localStorage. Reads prefer
 * localStorage, then the cookie. Storage that throws (sandboxed iframes, disabled
 * cookies) only costs persistence, never the call.
 */

const AID = 'ferry_aid';
const UID = 'ferry_uid';
const TRAITS = 'ferry_traits';
const YEAR_S = 31_536_000;

export interface UserState {
  anonymousId: string;
  userId: string | null;
  traits: Record<string, unknown>;
}

function attempt<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

function readCookie(name: string): string | null {
  const match = attempt(() => document.cookie.match(new RegExp(`(?:^|; )${name}=([^;]*)`)));
  return match ? decodeURIComponent(match[1]!) || null : null;
}

function writeCookie(name: string, value: string | null): void {
  attempt(() => {
    const secure = location.protocol === 'https:' ? '; Secure' : '';
    document.cookie = `${name}=${encodeURIComponent(value ?? '')}; Max-Age=${value === null ? 0 : YEAR_S}; Path=/; SameSite=Lax${secure}`;
  });
}

export class Identity {
  #state: UserState | undefined;

  readonly #useCookie: boolean;

  constructor(useCookie: boolean) {
    this.#useCookie = useCookie;
  }

  #read(key: string): string | null {
    const value = attempt(() => localStorage.getItem(key)) ?? null;
    return value === null && this.#useCookie && key !== TRAITS ? readCookie(key) : value;
  }

  #write(key: string, value: string | null): void {
    attempt(() => (value === null ? localStorage.removeItem(key) : localStorage.setItem(key, value)));
    if (this.#useCookie && key !== TRAITS) writeCookie(key, value);
  }

  /** Loaded lazily on first use, never at import. */
  get(): UserState {
    if (this.#state) return this.#state;
    let anonymousId = this.#read(AID);
    if (!anonymousId) anonymousId = uuidv4();
    // Write back so that localStorage and cookie agree whichever one survived.
    this.#write(AID, anonymousId);
    const traits = attempt(() => JSON.parse(this.#read(TRAITS) ?? '{}') as unknown);
    this.#state = { anonymousId, userId: this.#read(UID), traits: isPlainObject(traits) ? traits : {} };
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
