import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { xDisplay } from '../helpers/engine-display.js';
import { freePort, requireBinary, spawnGroup, until, type GroupProcess } from '../helpers/engine-process.js';
import { PHONE, pageExpression, type Engine, type PageFunction, type ProfileRun, type Session, type Tab } from './engine.js';

export const miniBrowserPath = process.env.MINIBROWSER_PATH ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
export const webkitDriverPath = process.env.WEBKIT_DRIVER_PATH ?? '/usr/bin/WebKitWebDriver';

/** A W3C WebDriver client over plain HTTP: the few commands the scenarios need. */
class WebDriverClient {
  private queue: Promise<unknown> = Promise.resolve();
  private current = '';

  constructor(private readonly base: string) {}

  async command<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: { 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json()) as { value: T & { error?: string; message?: string } };
    if (!res.ok) throw new Error(`WebDriver ${method} ${path}: ${json.value?.error} ${json.value?.message}`);
    return json.value;
  }

  /**
   * WebDriver has one current window per session: every tab's command runs in turn, switching
   * to its window first, so two tabs driven at once never talk to each other's page.
   */
  inWindow<T>(session: string, handle: string, fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      if (this.current !== handle) {
        await this.command('POST', `/session/${session}/window`, { handle });
        this.current = handle;
      }
      return fn();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** After its window closed, the session has no current window until the next switch. */
  forget(handle: string): void {
    if (this.current === handle) this.current = '';
  }

  /** A new window, opened from the session's first window (WebDriver needs a live current window for it). */
  newWindow(session: string, home: string): Promise<string> {
    return this.inWindow(session, home, () => this.command<{ handle: string }>('POST', `/session/${session}/window/new`, { type: 'window' })).then((w) => w.handle);
  }
}

/** The page call with a completion callback, as WebDriver's async script. */
function asyncScript(expression: string): string {
  return `const done = arguments[arguments.length - 1];
    Promise.resolve().then(() => ${expression})
      .then((value) => done({ ok: true, value: value === undefined ? null : value }), (err) => done({ ok: false, error: String(err && err.stack || err) }));`;
}

function webkitTab(client: WebDriverClient, session: string, handle: string): Tab {
  const prefix = `/session/${session}`;
  return {
    goto: (url) => client.inWindow(session, handle, () => client.command('POST', `${prefix}/url`, { url })).then(() => undefined),
    async evaluate<A, R>(fn: PageFunction<A, R>, arg: A): Promise<R> {
      const result = await client.inWindow(session, handle, () =>
        client.command<{ ok: boolean; value?: R; error?: string }>('POST', `${prefix}/execute/async`, { script: asyncScript(pageExpression(fn, arg)), args: [] }),
      );
      if (!result.ok) throw new Error(`in the page: ${result.error}`);
      return result.value as R;
    },
    close: () =>
      client.inWindow(session, handle, async () => {
        await client.command('DELETE', `${prefix}/window`);
        client.forget(handle);
      }),
  };
}

async function startDriver(): Promise<{ driver: GroupProcess; client: WebDriverClient; display: string }> {
  const display = await xDisplay();
  const port = await freePort();
  const driver = spawnGroup(requireBinary(webkitDriverPath, 'webkit2gtk-driver'), [`--port=${port}`], { env: { ...process.env, DISPLAY: display } });
  const client = new WebDriverClient(`http://127.0.0.1:${port}`);
  await until(() => client.command<{ ready: boolean }>('GET', '/status').then((s) => (s.ready ? true : undefined)), 15_000, 'WebKitWebDriver');
  return { driver, client, display };
}

/** WebKitGTK's MiniBrowser through WebKitWebDriver (W3C WebDriver over HTTP), on Xvfb. */
export const webkit: Engine = {
  name: 'webkit',
  async start(): Promise<Session> {
    requireBinary(miniBrowserPath, 'libwebkit2gtk-4.1-0');
    const { driver, client } = await startDriver();
    // MiniBrowser needs --automation in its own args, or the session never starts.
    const created = await client.command<{ sessionId: string; capabilities: { browserVersion: string } }>('POST', '/session', {
      capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { binary: miniBrowserPath, args: ['--automation'] } } },
    });
    const id = created.sessionId;
    // The session's first window stays open on its blank page: closing a session's last window ends the session.
    const home = await client.command<string>('GET', `/session/${id}/window`);
    return {
      version: `WebKitGTK ${created.capabilities.browserVersion}`,
      async newTab(url) {
        // Separate windows, not tabs: a background tab of MiniBrowser is hidden (visibilitychange), unlike the other engines' tabs here.
        const handle = await client.newWindow(id, home);
        const t = webkitTab(client, id, handle);
        await t.goto(url);
        return t;
      },
      async newPhoneTab(url) {
        const handle = await client.newWindow(id, home);
        const t = webkitTab(client, id, handle);
        const prefix = `/session/${id}`;
        // The window's outer size: the page gets the phone's width, a little less height (no toolbar in automation).
        await client.inWindow(id, handle, () => client.command('POST', `${prefix}/window/rect`, PHONE));
        await t.goto(url);
        return {
          ...t,
          tap: (selector) =>
            client.inWindow(id, handle, async () => {
              const el = await client.command<Record<string, string>>('POST', `${prefix}/element`, { using: 'css selector', value: selector });
              await client.command('POST', `${prefix}/actions`, {
                actions: [{ type: 'pointer', id: 'finger', parameters: { pointerType: 'touch' }, actions: [
                  { type: 'pointerMove', duration: 0, origin: el, x: 0, y: 0 },
                  { type: 'pointerDown', button: 0 },
                  { type: 'pointerUp', button: 0 },
                ] }],
              });
              await client.command('DELETE', `${prefix}/actions`);
            }),
          screenshot: (path) =>
            client.inWindow(id, handle, async () => {
              writeFileSync(path, Buffer.from(await client.command<string>('GET', `${prefix}/screenshot`), 'base64'));
            }),
        };
      },
      async cookies(url) {
        // WebDriver reads the cookies of the current page's document: open the URL in a scratch window.
        const scratch = await client.newWindow(id, home);
        const t = webkitTab(client, id, scratch);
        try {
          await t.goto(url);
          const all = await client.inWindow(id, scratch, () => client.command<Array<{ name: string; value: string; expiry?: number }>>('GET', `/session/${id}/cookie`));
          return all.map((c) => ({ name: c.name, value: c.value, expires: c.expiry }));
        } finally {
          await t.close();
        }
      },
      async close() {
        await client.command('DELETE', `/session/${id}`).catch(() => undefined);
        await driver.kill('SIGTERM');
      },
    };
  },
  async startOnProfile(profileDir, url): Promise<ProfileRun> {
    // Without --automation MiniBrowser keeps its data under the XDG folders: that is the profile.
    const dataHome = join(profileDir, 'data');
    const cacheHome = join(profileDir, 'cache');
    mkdirSync(dataHome, { recursive: true });
    mkdirSync(cacheHome, { recursive: true });
    const display = await xDisplay();
    const proc = spawnGroup(requireBinary(miniBrowserPath, 'libwebkit2gtk-4.1-0'), [url], {
      env: { ...process.env, DISPLAY: display, XDG_DATA_HOME: dataHome, XDG_CACHE_HOME: cacheHome },
    });
    return { kill: () => proc.kill('SIGKILL') };
  },
};
