// Calls to the admin API of the listener that served this page. The token (when the server has
// one) lives in sessionStorage: gone when the tab closes, never in a cookie that another site's
// request could carry.

const TOKEN_KEY = 'ferry-admin-token';

/** An answer other than 2xx, or no answer. `notAvailable`: this server has no such route (an older version). */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
    this.notAvailable = code === 'not_available';
  }
}

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (t) => sessionStorage.setItem(TOKEN_KEY, t),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

const listeners = { unauthorized: [], reachable: [] };
export function on(what, fn) { listeners[what].push(fn); }
const emit = (what, arg) => listeners[what].forEach((fn) => fn(arg));

/**
 * One request; resolves with the JSON body of a 2xx. Rejects with an ApiError: status 0 when the
 * server cannot be reached; code `not_available` when the server's own 404 says it has no such
 * route (its not-found answer is `no route METHOD URL`), as opposed to a 404 about a missing thing.
 */
export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  const t = token.get();
  if (t) headers.Authorization = 'Bearer ' + t;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store', credentials: 'omit' });
  } catch {
    emit('reachable', false);
    throw new ApiError(0, 'unreachable', 'cannot reach the server');
  }
  emit('reachable', true);
  let json = null;
  try { json = JSON.parse(await res.text()); } catch { /* not JSON: reported below */ }
  if (res.ok && json !== null) return json;
  const error = json && typeof json.error === 'string' ? json.error : 'HTTP ' + res.status;
  if (res.status === 404 && /^no route /.test(error)) throw new ApiError(404, 'not_available', 'not available on this server');
  if (res.status === 401) emit('unauthorized');
  throw new ApiError(res.status, json && typeof json.code === 'string' ? json.code : 'http_' + res.status, error);
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body ?? {});
export const del = (path) => api('DELETE', path);
/** Encodes one path segment (a messageId or user may hold `/`, `?`, `#`). */
export const seg = (s) => encodeURIComponent(s);
