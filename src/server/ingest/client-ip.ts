import { isIP } from 'node:net';

/**
 * `context.ip`, per source (`sources[].ip`): `keep` (default) stores the client's address,
 * `anonymize` keeps only its network (an IPv4 address's first 24 bits, an IPv6 address's first
 * 48), `drop` stores none.
 */
export type IpPolicy = 'keep' | 'anonymize' | 'drop';

/** The network part of an address; '' when it is not an IP address (nothing to keep then). */
export function anonymizeIp(ip: string): string {
  const v4 = /^(?:::ffff:)?(\d+\.\d+\.\d+)\.\d+$/i.exec(ip);
  if (v4 && isIP(v4[0].replace(/^::ffff:/i, '')) === 4) return `${v4[1]}.0`;
  const bare = ip.replace(/%.*$/, '');
  if (isIP(bare) !== 6) return '';
  const [head = '', tail] = bare.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups.slice(0, 3).join(':')}::`;
}

/**
 * Sets the context's `ip` as the source wants, in place: the caller passes the event's own context
 * (fresh from this request's JSON.parse) or a copy made for it, never one shared with another event.
 * A client that sent one keeps it (a server-side client speaks for its user); otherwise it is the
 * request's address, which names the connecting proxy unless `trustProxy` lets the server believe
 * X-Forwarded-For.
 */
export function setContextIp(context: Record<string, unknown>, requestIp: string | undefined, policy: IpPolicy): void {
  if (policy === 'drop') {
    if (context.ip !== undefined) delete context.ip;
    return;
  }
  const ip = context.ip ?? requestIp;
  if (ip === undefined) return;
  if (policy === 'keep') context.ip = ip;
  else {
    const network = typeof ip === 'string' ? anonymizeIp(ip) : '';
    if (network) context.ip = network;
    else delete context.ip;
  }
}
