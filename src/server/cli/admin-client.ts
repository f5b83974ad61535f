/**
 * The operator commands' one way to the admin API, and the exit codes scripts can trust.
 * Every failure becomes a CliError carrying its code; nothing else leaves a command.
 */

export const EXIT = {
  ok: 0,
  /** The server answered, and said no: not found, refused, invalid, not available, a 5xx. */
  refused: 1,
  /** The command line is wrong; nothing was sent. */
  usage: 2,
  /** No answer: connection refused, DNS, timeout. */
  unreachable: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
  }
}

export const usageError = (message: string) => new CliError(EXIT.usage, message);

export const DEFAULT_ADMIN_URL = 'http://127.0.0.1:8081';
const TIMEOUT_MS = 120_000;

export interface AdminClient {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: Record<string, unknown>): Promise<T>;
  delete<T>(path: string): Promise<T>;
}

/** `path` segment: a messageId or user may hold `/`, `?`, `#`. */
export const seg = (s: string) => encodeURIComponent(s);

export function adminClient(options: { url: string; token?: string }): AdminClient {
  let base: URL;
  try {
    base = new URL(options.url);
  } catch {
    throw usageError(`--admin-url "${options.url}" is not a URL`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw usageError(`--admin-url "${options.url}" must be http:// or https://`);
  const root = base.href.replace(/\/+$/, '');

  async function call<T>(method: string, path: string, body?: Record<string, unknown>): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${root}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'manual' });
      text = await res.text();
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why = e.name === 'TimeoutError' ? `no answer within ${TIMEOUT_MS / 1000} s` : (e.cause?.code ?? e.cause?.message ?? e.message);
      throw new CliError(EXIT.unreachable, `cannot reach the operator API at ${root} (${why})`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new CliError(EXIT.refused, `${method} ${path}: HTTP ${res.status} with an answer that is not Ferry's JSON (is ${root} the operator listener?)`);
    }
    if (res.ok) return json as T;
    const error = typeof (json as { error?: unknown }).error === 'string' ? (json as { error: string }).error : `HTTP ${res.status}`;
    // The server's own not-found answer for a route it does not have (an older ferry), as
    // opposed to a 404 about a thing (no such messageId, destination or replay).
    if (res.status === 404 && error.startsWith('no route ')) throw new CliError(EXIT.refused, `${method} ${path.split('?')[0]}: not available on this server`);
    if (res.status === 401) throw new CliError(EXIT.refused, `${error} (pass the token in FERRY_ADMIN_TOKEN or --token)`);
    throw new CliError(EXIT.refused, error);
  }

  return {
    get: (path) => call('GET', path),
    post: (path, body = {}) => call('POST', path, body),
    delete: (path) => call('DELETE', path),
  };
}
