/**
 * The one interface the shared scenarios drive a browser engine through. Each engine module
 * (chromium.ts, firefox.ts, webkit.ts) implements it with that engine's own remote protocol;
 * the scenarios never know which one they hold.
 */

export type EngineName = 'chromium' | 'firefox' | 'webkit';

/** A function evaluated in the page: it is sent as source text, so it may not close over test variables. */
export type PageFunction<A, R> = (arg: A) => R | Promise<R>;

/** The call as one JavaScript expression (its value a promise where fn is async): how every driver sends it. */
export function pageExpression<A, R>(fn: PageFunction<A, R>, arg: A): string {
  return `(${fn.toString()})(${JSON.stringify(arg ?? null)})`;
}

export interface BrowserCookie {
  name: string;
  value: string;
  /** Epoch seconds; undefined for a session cookie. */
  expires: number | undefined;
}

export interface Tab {
  goto(url: string): Promise<void>;
  evaluate<A, R>(fn: PageFunction<A, R>, arg: A): Promise<R>;
  /** Closes the tab the way a user does: pagehide and visibilitychange run, beforeunload too. */
  close(): Promise<void>;
}

/** A tab in a phone's viewport with touch input. */
export interface PhoneTab extends Tab {
  /** A touch tap on the element (touchstart/touchend, then the click the browser synthesizes). */
  tap(selector: string): Promise<void>;
  screenshot(path: string): Promise<void>;
}

export const PHONE = { width: 390, height: 844 };

/** A remote-controlled browser on a throwaway profile. */
export interface Session {
  /** Where the engine's driver can emulate a phone (viewport and touch); Firefox's cannot. */
  newPhoneTab?(url: string): Promise<PhoneTab>;
  readonly version: string;
  /** A new top-level browsing context (a tab, or a window where that is how the engine shows two pages at once). */
  newTab(url: string): Promise<Tab>;
  cookies(url: string): Promise<BrowserCookie[]>;
  close(): Promise<void>;
}

/**
 * A browser process started on a profile folder and pointed at one URL, with no remote control:
 * the page drives itself and reports to the test. Killing it and starting another on the same
 * folder is a browser restart (WebKitGTK's automation mode always uses a throwaway data store,
 * so this is the only form of restart every engine can express).
 */
export interface ProfileRun {
  /** SIGKILL to the browser's whole process group: no unload, no clean shutdown. */
  kill(): Promise<void>;
}

export interface Engine {
  readonly name: EngineName;
  start(): Promise<Session>;
  startOnProfile(profileDir: string, url: string): Promise<ProfileRun>;
}
