/**
 * One connection to a Flux broker with the job-manager's events journal on it, kept up: when the
 * connection is lost (broker restarted, socket closed) it reconnects with exponential backoff and
 * starts the journal again; the handler replays what it missed from the new backlog.
 *
 * @module
 */
import { FluxConnection, watchJournal, type FluxStream, type JournalEntry } from './wire/index.js';

/** What a {@link FluxSession} tells its owner. */
export interface SessionHandler {
  /**
   * A connection is up and the journal is about to start on it (`reconnect` is false the first
   * time). Returns whether the backlog must include inactive jobs (`full`).
   */
  connected(conn: FluxConnection, reconnect: boolean): boolean;
  /** One journal response: new events of one job (`backlog`: part of the backlog sent first). */
  entry(entry: JournalEntry, backlog: boolean): void;
  /** The backlog is over: everything after this is live. */
  backlogEnd(conn: FluxConnection): void;
  /** The connection was lost, or an attempt to connect failed (`attempt` in a row, from 1). */
  connectionError(error: Error, attempt: number): void;
}

/** Reconnection backoff bounds, in milliseconds. */
export interface Backoff {
  readonly min: number;
  readonly max: number;
}

/** A kept-up connection plus journal; see the module comment. */
export class FluxSession {
  #conn: FluxConnection | undefined;
  #journal: FluxStream | undefined;
  #live = false;
  #closing = false;
  #connecting = false;
  #everConnected = false;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  #referenced = true;
  /** Connections opened so far (1 unless the connection was lost). */
  connections = 0;

  constructor(
    readonly uri: string,
    private readonly handler: SessionHandler,
    private readonly backoff: Backoff,
  ) {}

  /** The connection, once up with its journal's backlog received; undefined while down. */
  get connection(): FluxConnection | undefined {
    return this.#live ? this.#conn : undefined;
  }

  /** Starts connecting (once; later calls do nothing). */
  start(): void {
    if (this.#everConnected || this.#connecting || this.#timer || this.#closing) return;
    void this.#connect();
  }

  /** Whether the process may exit while connected (false) or must stay for the jobs (true). */
  setReferenced(ref: boolean): void {
    if (ref === this.#referenced) return;
    this.#referenced = ref;
    if (this.#conn) {
      if (ref) this.#conn.ref();
      else this.#conn.unref();
    }
    if (this.#timer) {
      if (ref) this.#timer.ref();
      else this.#timer.unref();
    }
  }

  /** Drops the connection as if it were lost (reconnects with backoff); for tests. */
  dropConnection(): void {
    this.#conn?.destroy();
  }

  /** Stops reconnecting and closes the connection. */
  async close(): Promise<void> {
    this.#closing = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const conn = this.#conn;
    this.#conn = undefined;
    this.#live = false;
    // (referenced while closing: an unreferenced socket would let the process exit mid-close)
    if (conn) await conn.ref().close();
  }

  async #connect(): Promise<void> {
    this.#connecting = true;
    let conn: FluxConnection;
    try {
      conn = await FluxConnection.connect(this.uri);
    } catch (error) {
      this.#connecting = false;
      this.#retry(error as Error);
      return;
    }
    this.#connecting = false;
    if (this.#closing) {
      await conn.close();
      return;
    }
    this.connections++;
    if (!this.#referenced) conn.unref();
    const reconnect = this.#everConnected;
    this.#everConnected = true;
    this.#conn = conn;
    void conn.closed.then(() => this.#lost(conn, new Error(`flux ${this.uri}: connection closed`)));
    const full = this.handler.connected(conn, reconnect);
    let backlog = true;
    this.#journal = watchJournal(
      conn,
      full ? { full: true } : {},
      (e) => this.handler.entry(e, backlog),
      () => {
        backlog = false;
        this.#attempt = 0;
        this.#live = true;
        this.handler.backlogEnd(conn);
      },
    );
    // The journal only ends when the connection does, or on an error of the job-manager: either
    // way the connection is started over.
    this.#journal.done.then(
      () => this.#lost(conn, new Error(`flux ${this.uri}: the events journal ended`)),
      (error: Error) => this.#lost(conn, error),
    );
  }

  #lost(conn: FluxConnection, error: Error): void {
    if (this.#conn !== conn || this.#closing) return;
    this.#conn = undefined;
    this.#journal = undefined;
    this.#live = false;
    conn.destroy();
    this.#retry(error);
  }

  #retry(error: Error): void {
    if (this.#closing) return;
    this.#attempt++;
    this.handler.connectionError(error, this.#attempt);
    const delay = Math.min(this.backoff.max, this.backoff.min * 2 ** Math.min(this.#attempt - 1, 20));
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#connect();
    }, delay);
    if (!this.#referenced) this.#timer.unref();
  }
}
