/**
 * First-party cookies and the storage calls that may throw (sandboxed iframes, disabled
 * cookies or storage): such a failure only costs persistence, never the call.
 */

const YEAR_S = 31_536_000;

export function attempt<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/** localStorage's value, null when absent or when storage throws. */
export function getLocal(key: string): string | null {
  return attempt(() => localStorage.getItem(key)) ?? null;
}

/** The JSON stored under `key`: null when absent, undefined when unreadable (storage throws, bad JSON). */
export function getLocalJson(key: string): unknown {
  return attempt(() => JSON.parse(localStorage.getItem(key)!) as unknown);
}

/** `null` removes. */
export function setLocal(key: string, value: string | null): void {
  attempt(() => (value === null ? localStorage.removeItem(key) : localStorage.setItem(key, value)));
}

export function readCookie(name: string): string | null {
  // No such cookie (no match), no cookies or a malformed escape: all throw, all mean none.
  return attempt(() => decodeURIComponent(document.cookie.match(new RegExp(`(?:^|; )${name}=([^;]*)`))![1]!)) || null;
}

/** `null` deletes. `domain` '' keeps the cookie to this host. */
export function writeCookie(name: string, value: string | null, domain: string): void {
  attempt(() => {
    const secure = location.protocol === 'https:' ? '; Secure' : '';
    document.cookie = `${name}=${encodeURIComponent(value ?? '')}; Max-Age=${value === null ? 0 : YEAR_S}; Path=/; SameSite=Lax${domain && `; Domain=${domain}`}${secure}`;
  });
}

/**
 * The widest domain this page may set a cookie on (the registrable domain: `example.co.uk` for
 * `www.shop.example.co.uk`), found as analytics.js does: write a cookie on each parent domain
 * from the top down; the browser refuses public suffixes (`co.uk`, `github.io`), so the first
 * one that sticks is the answer. '' (host-only) for IP addresses, `localhost` and when none sticks.
 */
export function probeCookieDomain(): string {
  const host = attempt(() => location.hostname) ?? '';
  const labels = host.split('.');
  if (/^[\d.]+$|\]/.test(host)) return '';
  for (let i = labels.length - 2; i >= 0; i--) {
    const domain = labels.slice(i).join('.');
    writeCookie('ferry_probe', '1', domain);
    if (readCookie('ferry_probe')) {
      writeCookie('ferry_probe', null, domain);
      return domain;
    }
  }
  return '';
}
