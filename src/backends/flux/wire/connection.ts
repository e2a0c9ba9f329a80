/**
 * A connection to a Flux broker's local connector (`local://PATH`) over `node:net`, doing RPCs
 * the way libflux does (`src/common/libflux/rpc.c`): each request carries a matchtag, responses
 * come back with it. Streaming RPCs (FLUX_MSGFLAG_STREAMING) get many responses and end with an
 * ENODATA error response. No flux process is spawned.
 *
 * Connecting follows `usock_client_create()` in `src/common/librouter/usock.c`: after `connect()`
 * the broker writes one byte, 0 if the connection is accepted, else an errno.
 *
 * @module
 */
import { connect as netConnect, type Socket } from 'node:net';
import { Errno, MATCHTAG_NONE, MsgFlag, MsgType, NODEID_ANY, ROLE_NONE, USERID_UNKNOWN } from './constants.js';
import { FluxConnectionError, FluxProtocolError, FluxRpcError } from './errors.js';
import { frameMessage, MessageReader } from './framing.js';
import type { JsonObject } from './json.js';
import { decodeJsonPayload, decodeStringPayload, encodeJsonPayload, type FluxMessage } from './message.js';

/** Options of one request. */
export interface RequestOptions {
  /** Broker rank to send to; default FLUX_NODEID_ANY. */
  nodeid?: number;
}

interface Pending {
  topic: string;
  streaming: boolean;
  onResponse: (payload: JsonObject | undefined) => void;
  onEnd: (err?: Error) => void;
}

/** A streaming RPC in progress, returned by {@link FluxConnection.stream}. */
export interface FluxStream {
  /** The request's matchtag (what `<service>-cancel` requests name). */
  readonly matchtag: number;
  /**
   * Settles when the stream ends: resolves on Flux's ENODATA end-of-stream response, rejects with
   * {@link FluxRpcError} on any other error response, or {@link FluxConnectionError} if the
   * connection closes first, or with what `onResponse` threw. Observe it to see errors: an
   * unobserved rejection is not reported as unhandled.
   */
  readonly done: Promise<void>;
  /**
   * Asks the service to end the stream: sends `cancelTopic` (default the request topic +
   * `-cancel`, the flux_msglist_cancel() convention) with `{matchtag}` and no response wanted. The
   * service then answers the stream with ENODATA, which resolves {@link done}.
   */
  cancel(cancelTopic?: string): void;
}

/** The filesystem path of a `local://` URI. @throws {@link FluxConnectionError} for another scheme. */
export function localPathOf(uri: string): string {
  if (!uri.startsWith('local://')) throw new FluxConnectionError(uri, 'only local:// URIs are supported by the wire client');
  const path = uri.slice('local://'.length);
  if (!path.startsWith('/')) throw new FluxConnectionError(uri, 'local:// URI needs an absolute socket path');
  return path;
}

/**
 * One connection to a broker. Many RPCs may be in flight at once (pipelined on the socket);
 * responses are matched by matchtag, in whatever order the broker sends them.
 */
export class FluxConnection {
  /** The URI this connection was opened with. */
  readonly uri: string;
  private readonly socket: Socket;
  private readonly reader = new MessageReader();
  private readonly pending = new Map<number, Pending>();
  private nextTag = 1;
  private closedError: FluxConnectionError | undefined;
  private readonly closedPromise: Promise<void>;

  private constructor(uri: string, socket: Socket) {
    this.uri = uri;
    this.socket = socket;
    let resolveClosed!: () => void;
    this.closedPromise = new Promise((r) => (resolveClosed = r));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(new FluxConnectionError(uri, `socket error: ${err.message}`, { cause: err })));
    socket.on('close', () => {
      this.fail(new FluxConnectionError(uri, 'connection closed'));
      resolveClosed();
    });
  }

  /**
   * Connects to `local://PATH` and waits for the broker's accept byte.
   *
   * @throws {@link FluxConnectionError} if the socket cannot be reached or the broker refuses.
   */
  static connect(uri: string): Promise<FluxConnection> {
    const path = localPathOf(uri);
    return new Promise((resolve, reject) => {
      const socket = netConnect(path);
      const onError = (err: Error): void => reject(new FluxConnectionError(uri, `cannot connect to ${path}: ${err.message}`, { cause: err }));
      socket.once('error', onError);
      socket.once('close', () => reject(new FluxConnectionError(uri, 'closed during the connect handshake')));
      socket.once('data', (chunk: Buffer) => {
        socket.removeAllListeners('error');
        socket.removeAllListeners('close');
        socket.pause();
        const status = chunk[0] as number;
        if (status !== 0) {
          socket.destroy();
          reject(new FluxConnectionError(uri, `broker refused the connection (errno ${status})`));
          return;
        }
        socket.setNoDelay(true);
        const conn = new FluxConnection(uri, socket);
        if (chunk.length > 1) conn.onData(chunk.subarray(1));
        socket.resume();
        resolve(conn);
      });
    });
  }

  /** Number of requests waiting for a response (streams included). */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Resolves once the socket has closed (by {@link close} or by the broker). */
  get closed(): Promise<void> {
    return this.closedPromise;
  }

  /**
   * Sends a request and resolves with its single response's JSON payload (`undefined` when the
   * response has none).
   *
   * @throws {@link FluxRpcError} when Flux answers with an error (topic, errnum, message);
   *   {@link FluxConnectionError} if the connection is or becomes closed first;
   *   {@link FluxProtocolError} if the response payload is not a JSON object.
   */
  rpc(topic: string, payload?: object, opts: RequestOptions = {}): Promise<JsonObject | undefined> {
    return new Promise((resolve, reject) => {
      let value: JsonObject | undefined;
      this.send(topic, payload, false, opts, {
        topic,
        streaming: false,
        onResponse: (p) => (value = p),
        onEnd: (err) => (err ? reject(err) : resolve(value)),
      });
    });
  }

  /**
   * Sends a request with FLUX_MSGFLAG_STREAMING; `onResponse` is called with each response's
   * payload until the stream ends (see {@link FluxStream.done}). An exception thrown by
   * `onResponse` cancels the stream and rejects `done` with it.
   */
  stream(topic: string, payload: object | undefined, onResponse: (payload: JsonObject | undefined) => void, opts: RequestOptions = {}): FluxStream {
    let resolveDone!: () => void;
    let rejectDone!: (e: Error) => void;
    const done = new Promise<void>((res, rej) => {
      resolveDone = res;
      rejectDone = rej;
    });
    // A stream cancelled and forgotten must not crash the process with an unhandled rejection;
    // callers that await `done` still see the error.
    done.catch(() => {});
    let callbackError: Error | undefined;
    let cancelled = false;
    const cancel = (cancelTopic = `${topic}-cancel`): void => {
      if (cancelled || !this.pending.has(matchtag)) return;
      cancelled = true;
      this.send(cancelTopic, { matchtag }, false, {}, undefined);
    };
    const matchtag = this.send(topic, payload, true, opts, {
      topic,
      streaming: true,
      onResponse: (p) => {
        if (callbackError) return;
        try {
          onResponse(p);
        } catch (e) {
          callbackError = e instanceof Error ? e : new Error(String(e));
          cancel();
        }
      },
      onEnd: (err) => {
        const e = callbackError ?? err;
        if (e) rejectDone(e);
        else resolveDone();
      },
    });
    return { matchtag, done, cancel };
  }

  /**
   * Sends a request that wants no response (FLUX_MSGFLAG_NORESPONSE), e.g. a `-cancel`.
   *
   * @throws {@link FluxConnectionError} if the connection is closed.
   */
  notify(topic: string, payload?: object, opts: RequestOptions = {}): void {
    this.send(topic, payload, false, opts, undefined);
  }

  /**
   * Closes the connection; requests still pending reject with {@link FluxConnectionError}. The
   * broker sends `disconnect` to services, which drop this connection's streams.
   */
  async close(): Promise<void> {
    if (!this.socket.destroyed) this.socket.end();
    await this.closedPromise;
  }

  /** Lets the process exit while this connection is open but idle (`socket.unref()`). */
  unref(): this {
    this.socket.unref();
    return this;
  }

  /** Keeps the process alive while this connection is open (`socket.ref()`, the default). */
  ref(): this {
    this.socket.ref();
    return this;
  }

  /** Whether the connection is closed or failed. */
  get isClosed(): boolean {
    return this.closedError !== undefined;
  }

  /** Ends the connection at once, as a lost connection would (for tests of reconnection). */
  destroy(): void {
    this.socket.destroy();
  }

  private allocTag(): number {
    for (;;) {
      const tag = this.nextTag;
      this.nextTag = tag >= 0xfffffffe ? 1 : tag + 1;
      if (!this.pending.has(tag)) return tag;
    }
  }

  private send(topic: string, payload: object | undefined, streaming: boolean, opts: RequestOptions, pending: Pending | undefined): number {
    if (this.closedError) throw this.closedError;
    const matchtag = pending ? this.allocTag() : MATCHTAG_NONE;
    let flags = 0;
    if (streaming) flags |= MsgFlag.STREAMING;
    if (!pending) flags |= MsgFlag.NORESPONSE;
    const msg: FluxMessage = {
      type: MsgType.REQUEST,
      flags,
      userid: USERID_UNKNOWN,
      rolemask: ROLE_NONE,
      aux1: opts.nodeid ?? NODEID_ANY,
      aux2: matchtag,
      topic,
    };
    if (payload !== undefined) msg.payload = encodeJsonPayload(payload);
    const bytes = frameMessage(msg);
    if (pending) this.pending.set(matchtag, pending);
    this.socket.write(bytes);
    return matchtag;
  }

  private onData(chunk: Buffer): void {
    let msgs: FluxMessage[];
    try {
      msgs = this.reader.push(chunk);
    } catch (e) {
      this.fail(new FluxConnectionError(this.uri, `undecodable data from the broker: ${(e as Error).message}`, { cause: e }));
      this.socket.destroy();
      return;
    }
    for (const m of msgs) this.dispatch(m);
  }

  private dispatch(m: FluxMessage): void {
    if (m.type !== MsgType.RESPONSE) return; // no event subscriptions or services here
    const p = this.pending.get(m.aux2);
    if (!p) return; // e.g. a late response to a stream already ended
    const errnum = m.aux1;
    if (errnum !== 0) {
      this.pending.delete(m.aux2);
      if (p.streaming && errnum === Errno.ENODATA) p.onEnd();
      else p.onEnd(new FluxRpcError(p.topic, errnum, m.payload?.length ? decodeStringPayload(m.payload) : undefined));
      return;
    }
    let payload: JsonObject | undefined;
    try {
      payload = m.payload?.length ? decodeJsonPayload(m.payload, `response to ${p.topic}`) : undefined;
    } catch (e) {
      // A stream whose payload does not decode is ended with the error (and left to the service's
      // disconnect handling): its later responses are dropped as unmatched.
      this.pending.delete(m.aux2);
      p.onEnd(e as FluxProtocolError);
      return;
    }
    p.onResponse(payload);
    if (!p.streaming) {
      this.pending.delete(m.aux2);
      p.onEnd();
    }
  }

  private fail(err: FluxConnectionError): void {
    if (!this.closedError) this.closedError = err;
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.onEnd(err);
  }
}
