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
 * The event's context with its `ip` as the source wants it. A client that sent one keeps it
 * (a server-side client speaks for its user); otherwise it is the request's address, which
 * names the connecting proxy unless `trustProxy` lets the server believe X-Forwarded-For.
 */
export function contextWithIp(context: Record<string, unknown> | null | undefined, requestIp: string | undefined, policy: IpPolicy): Record<string, unknown> {
  const out = { ...context };
  if (policy === 'drop') {
    delete out.ip;
    return out;
  }
  const ip = out.ip ?? requestIp;
  if (ip === undefined) return out;
  if (policy === 'keep') out.ip = ip;
  else {
    const network = typeof ip === 'string' ? anonymizeIp(ip) : '';
    if (network) out.ip = network;
    else delete out.ip;
  }
  return out;
}
