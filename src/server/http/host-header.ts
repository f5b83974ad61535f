/**
 * Reading a Host header. A Host header is a name or address and an optional port, nothing else:
 * no userinfo, path, spaces, quotes or control characters, nothing after an IPv6 literal's `]`.
 * Anything else is refused as a whole, never cut down to a prefix that happens to be allowed
 * (`[::1]evil.com`, `localhost:x@evil.com`). Lengths per RFC 1035.
 */
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const HOST_RE = new RegExp(`^(?:(?:${LABEL})(?:\\.${LABEL})*\\.?|\\[[0-9A-Fa-f:.]{2,45}\\])(?::(\\d{1,5}))?$`);
const IP_LITERAL_RE = /^(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:.]+\])$/;

/** The Host header if it is a plain host[:port], lower-cased; otherwise undefined. */
export function validHost(host: string | undefined): string | undefined {
  if (!host || host.length > 253 + 6) return undefined;
  const m = HOST_RE.exec(host);
  if (!m) return undefined;
  if (m[1] !== undefined && Number(m[1]) > 65535) return undefined;
  const lower = host.toLowerCase();
  // A name whose last label is numeric is an IPv4 address to a URL parser: `08` does not parse,
  // `1.2.3` means 1.2.0.3, `[0::1]` is `[::1]`. Only a name that a URL keeps as written may be echoed into one.
  try {
    if (new URL(`http://${lower}`).hostname !== hostnameOf(lower)) return undefined;
  } catch {
    return undefined;
  }
  return lower;
}

/** The name of a host[:port] that validHost accepted: `example.com:8081` → `example.com`, `[::1]:8081` → `[::1]`. */
export function hostnameOf(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

/** True for an IPv4 or bracketed IPv6 literal: a name no DNS answer can rebind. */
export function isIpLiteral(hostname: string): boolean {
  return IP_LITERAL_RE.test(hostname);
}
