/**
 * {@link RequestBatch}: the requests the launcher spawner sends `jobf-launcher`, encoded as the
 * launcher reads them (see native/launcher.c: each frame a u32 length, an op byte and its fields,
 * strings NUL-terminated) into one growing buffer, written to the launcher in one write per turn
 * of the event loop.
 */
import { resolve as resolvePath } from 'node:path';
import type { Writable } from 'node:stream';

import type { SpawnRequest } from './spawner.js';

const OP_SPAWN = 0x53; // 'S'
const OP_ENV = 0x45; // 'E'
/** Forget a registered base environment (its id follows). */
export const OP_FORGET = 0x46; // 'F'
const OP_KILL = 0x4b; // 'K'
/** Take back a request not started yet (its key follows). */
export const OP_WITHDRAW = 0x57; // 'W'
/** Start a standby request now (its key follows). */
export const OP_PROMOTE = 0x50; // 'P'
const OP_SIGNAL_REQUEST = 0x52; // 'R'
const FLAG_CWD = 1;
const FLAG_STDIN = 2;
const FLAG_SHARED = 4;
const FLAG_APPEND = 8;
const FLAG_STANDBY = 16;
const FLAG_LAZY = 32;
const SPAWN_HEADER = 19;

function absolute(path: string): string {
  return path.charCodeAt(0) === 47 /* '/' */ ? path : resolvePath(path);
}

/** The requests not yet written to the launcher, and their encoding. */
export class RequestBatch {
  #buf = Buffer.allocUnsafe(64 * 1024);
  #len = 0;
  #flushScheduled = false;
  readonly #flushBound = (): void => this.flush();
  readonly #target: () => Writable | undefined;

  /** `target` is the current launcher's stdin (undefined while there is none). */
  constructor(target: () => Writable | undefined) {
    this.#target = target;
  }

  /** Whether requests wait to be written. */
  get pending(): boolean {
    return this.#len > 0;
  }

  /** Drops the requests not written yet (their launcher is gone). */
  clear(): void {
    this.#len = 0;
  }

  /** Writes the requests to the launcher now (nothing without one). */
  flush(): void {
    this.#flushScheduled = false;
    const target = this.#target();
    if (this.#len === 0 || target === undefined) return;
    // Copy out: the stream keeps the buffer until written, and ours is reused.
    const chunk = Buffer.allocUnsafe(this.#len);
    this.#buf.copy(chunk, 0, 0, this.#len);
    this.#len = 0;
    target.write(chunk);
  }

  /** Signal `signo` to `pid` (its group when `group`), if the launcher has not reaped it. */
  kill(pid: number, signo: number, group: boolean): void {
    this.#reserve(11);
    const b = this.#buf;
    let p = this.#len;
    p = b.writeUInt32LE(7, p);
    b[p++] = OP_KILL;
    p = b.writeUInt32LE(pid, p);
    b[p++] = signo;
    b[p++] = group ? 1 : 0;
    this.#len = p;
    this.#scheduleFlush();
  }

  /** Signal `signo` to the group of request `key` once it started (the caller flushes). */
  signalRequest(key: number, signo: number): void {
    this.#reserve(10);
    let p = this.#len;
    p = this.#buf.writeUInt32LE(6, p);
    this.#buf[p++] = OP_SIGNAL_REQUEST;
    p = this.#buf.writeUInt32LE(key, p);
    this.#buf[p++] = signo;
    this.#len = p;
  }

  /** A request made of an op and one u32. */
  op(op: number, value: number): void {
    this.#reserve(9);
    let p = this.#len;
    p = this.#buf.writeUInt32LE(5, p);
    this.#buf[p++] = op;
    p = this.#buf.writeUInt32LE(value, p);
    this.#len = p;
    this.#scheduleFlush();
  }

  /** Registers the base environment `env` under `id` (goes out with the next spawn). */
  env(id: number, env: readonly string[]): void {
    let bytes = 13;
    for (const e of env) bytes += e.length * 3 + 1;
    this.#reserve(bytes);
    const b = this.#buf;
    const start = this.#len;
    let p = start + 4;
    b[p++] = OP_ENV;
    p = b.writeUInt32LE(id, p);
    p = b.writeUInt32LE(env.length, p);
    p = this.#putStrings(env, p);
    b.writeUInt32LE(p - start - 4, start);
    this.#len = p;
  }

  /**
   * Starts `r` with the base environment `envId`. Relative paths resolve against Node's working
   * directory now; without a cwd, a job runs in `launcherCwd` unless Node has moved since.
   */
  spawn(r: SpawnRequest, envId: number, launcherCwd: string): void {
    const extra = r.extraEnv ?? [];
    let cwd = r.cwd === undefined ? undefined : absolute(r.cwd);
    if (cwd === undefined) {
      const here = process.cwd();
      if (here !== launcherCwd) cwd = here;
    }
    const stdin = r.stdin === undefined ? undefined : absolute(r.stdin);
    const stdout = absolute(r.stdout);
    const shared = r.stderr === r.stdout;
    const stderr = shared ? undefined : absolute(r.stderr);

    let bytes = 4 + 1 + SPAWN_HEADER;
    for (const a of r.argv) bytes += a.length * 3 + 1;
    for (const e of extra) bytes += e.length * 3 + 1;
    bytes += (cwd?.length ?? 0) * 3 + (stdin?.length ?? 0) * 3 + stdout.length * 3 + (stderr?.length ?? 0) * 3 + 4;
    this.#reserve(bytes);

    const b = this.#buf;
    const start = this.#len;
    let p = start + 4;
    b[p++] = OP_SPAWN;
    p = b.writeUInt32LE(r.key, p);
    p = b.writeInt32LE(r.pgid, p);
    p = b.writeUInt32LE(envId, p);
    p = b.writeUInt16LE(r.argv.length, p);
    p = b.writeUInt16LE(extra.length, p);
    b[p++] = (cwd !== undefined ? FLAG_CWD : 0) | (stdin !== undefined ? FLAG_STDIN : 0) | (shared ? FLAG_SHARED : 0) | (r.append ? FLAG_APPEND : 0) | (r.standby ? FLAG_STANDBY : 0) | (r.lazyOutput && !r.append ? FLAG_LAZY : 0);
    p = b.writeUInt16LE(r.handoffClass ?? 0, p);
    p = this.#putStrings(r.argv, p);
    p = this.#putStrings(extra, p);
    if (cwd !== undefined) p = this.#putString(cwd, p);
    if (stdin !== undefined) p = this.#putString(stdin, p);
    p = this.#putString(stdout, p);
    if (stderr !== undefined) p = this.#putString(stderr, p);
    b.writeUInt32LE(p - start - 4, start);
    this.#len = p;
    this.#scheduleFlush();
  }

  #reserve(bytes: number): void {
    if (this.#len + bytes <= this.#buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#len + bytes));
    this.#buf.copy(bigger, 0, 0, this.#len);
    this.#buf = bigger;
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(this.#flushBound);
  }

  /** Appends NUL-terminated strings; returns the new position. Capacity must be reserved. */
  #putStrings(strings: readonly string[], p: number): number {
    const b = this.#buf;
    for (const s of strings) {
      p += b.write(s, p, 'utf8');
      b[p++] = 0;
    }
    return p;
  }

  #putString(s: string, p: number): number {
    p += this.#buf.write(s, p, 'utf8');
    this.#buf[p++] = 0;
    return p;
  }
}
