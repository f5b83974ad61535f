export interface RunningPostgres {
  /** postgres://postgres@127.0.0.1:PORT/postgres (trust authentication, loopback only). */
  url: string;
  port: number;
  dataDir: string;
  /** The postmaster's pid (strace attaches to it and its children). */
  postmasterPid(): number;
  stop(): Promise<void>;
}
/** The folder of initdb and pg_ctl: PG_BIN, else Debian's newest /usr/lib/postgresql/<major>/bin. */
export function postgresBin(): string;
/** `settings`: extra server settings (`-c name=value`), e.g. { synchronous_commit: 'off' } to show G4's proof failing. */
export function startPostgres(settings?: Record<string, string>): Promise<RunningPostgres>;
/** The URL of database `name` on the cluster at `url`, created if it does not exist yet. */
export function createDatabase(url: string, name: string): Promise<string>;
