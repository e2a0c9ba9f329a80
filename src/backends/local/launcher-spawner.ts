/**
 * The launcher spawner: starts processes through `jobf-launcher` (native/launcher.c), a small
 * long-lived native process that vfork()s and execs jobs on request, because spawning from a large
 * Node process is the throughput wall. Every report is the real thing: the pid vfork returned and
 * the moment it was called, the errno that stopped a start, the wait status waitpid returned and the
 * moment it did. See native/launcher.c for the wire protocol.
 */
import { spawn as spawnChild, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants as fsConstants, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { InvalidArgumentError } from '../../util/errors.js';
import { now } from '../../util/time.js';
import { PHASES, ReplyFramer, R_EXITED, R_FAILED, R_HANDED, R_SPAWNED, R_WITHDRAWN } from './launcher-replies.js';
import { OP_FORGET, OP_PROMOTE, OP_WITHDRAW, RequestBatch } from './launcher-requests.js';
import { packageRoot } from './package-root.js';
import {
  DeferredReports,
  SpawnerClosedError,
  checkRequestShape,
  envHasNul,
  errnoName,
  fieldWithNul,
  signalNumber,
  spawnErrno,
  spawnFailureMessage,
} from './spawn-common.js';
import type { SpawnRequest, Spawner, SpawnerListener } from './spawner.js';
import { STARTED_MAP_ENTRIES, startedMapFile } from './started-map.js';

/** Options of {@link LauncherSpawner}. */
export interface LauncherSpawnerOptions {
  /** Path of the launcher binary. Default: {@link defaultLauncherPath}. */
  readonly binary?: string;
  /**
   * Processes outlive this Node process if it dies without closing the spawner (kill -9): the
   * launcher then exits without killing them. `close()` and SIGTERM still end them. Default false.
   */
  readonly keepOnParentDeath?: boolean;
}

/** Where `scripts/build-native.mjs` puts the launcher: `<package root>/native/build/jobf-launcher`. */
export function defaultLauncherPath(): string {
  return join(packageRoot(), 'native', 'build', 'jobf-launcher');
}


/** Wait status of a process killed by SIGKILL. */
const KILLED_STATUS = 9;
const STDERR_TAIL = 4096;

interface Refable {
  ref(): void;
  unref(): void;
}

function refable(stream: unknown): Refable | undefined {
  const s = stream as Partial<Refable> | null;
  return s && typeof s.ref === 'function' && typeof s.unref === 'function' ? (s as Refable) : undefined;
}

/** One running launcher process and what belongs to it. */
interface Launcher {
  readonly child: ChildProcess;
  readonly stdin: Writable;
  readonly stdout: Readable;
  /** The working directory the launcher was started in (its jobs' default cwd). */
  readonly cwd: string;
  /** Base environments registered with this launcher, by identity. -1: holds a NUL byte. */
  readonly envIds: WeakMap<readonly string[], number>;
  readonly freeEnvIds: number[];
  nextEnvId: number;
  /** Resolves once the launcher has exited and its stdout is closed. */
  readonly gone: Promise<void>;
  /** Our fd of its started map (see native/launcher.c), -1 without one. */
  mapFd: number;
  /** Spawn frames sent to it (its own count is what it writes in the started map). */
  spawnFrames: number;
  stderrTail: string;
  dead: boolean;
}

/**
 * A {@link Spawner} backed by the native launcher.
 *
 * - The launcher starts lazily on the first `spawn()` and is restarted after an unexpected exit.
 * - Requests are batched: everything spawned or killed within one turn of the event loop goes to
 *   the launcher in one write; replies are parsed straight from the stdout chunks (fixed 24-byte
 *   records, no string handling, no per-process closures).
 * - Base environments are registered once per array identity (and forgotten when the array is
 *   garbage-collected); only `extraEnv` travels with each process.
 * - Relative stdin/stdout/stderr paths and cwd resolve against Node's working directory at
 *   `spawn()` time, as with the execa spawner.
 * - Hand-off: a request with `handoffClass` passes its slot, when its process exits, to the oldest
 *   `standby` request of the same class, which the launcher starts at once; `onExit` names it.
 *   `promote()` starts a standby now, `withdraw()` takes one back (`onWithdrawn`).
 * - `kill()` goes through the launcher, which signals only processes it has not reaped yet and
 *   groups that still have members: a recycled pid is never signalled.
 * - Event loop: an idle launcher never keeps Node alive; while any process is pending or running,
 *   the reply pipe is referenced so that its exit is awaited.
 * - If the launcher dies unexpectedly (it should not), running processes are SIGKILLed by group
 *   and reported as exited with wait status 9 (their real status is unobservable), pending starts
 *   fail with `ELAUNCHER`, and a warning is emitted.
 */
export class LauncherSpawner implements Spawner {
  /** `launcher`. */
  readonly name = 'launcher';
  /** Hand-off and standby requests are honoured (by the launcher itself, without a round trip). */
  readonly handoff = true;

  /** Whether the launcher binary exists and is executable (at `binary`, default {@link defaultLauncherPath}). */
  static available(binary: string = defaultLauncherPath()): boolean {
    try {
      if (process.platform !== 'linux' || !statSync(binary).isFile()) return false;
      accessSync(binary, fsConstants.X_OK);
      return true;
    } catch {
      return false;
    }
  }

  private readonly listener: SpawnerListener;
  private readonly binary: string;
  private readonly keep: boolean;
  private readonly deferred: DeferredReports;
  private launcher: Launcher | undefined;
  private closing: Promise<void> | undefined;

  /** Requests not yet finished (pending or running), by key. */
  private readonly requests = new Map<number, SpawnRequest>();
  /** Pids of running processes, by key. */
  private readonly pids = new Map<number, number>();
  private referenced = false;
  /** Keys already resent once after an orderly launcher exit. */
  private readonly retried = new Set<number>();
  /** Keys of the standby requests not yet handed a slot, promoted or withdrawn. */
  private standbys = new Set<number>();
  /** The standby that the next EXITED reply's process handed its slot to (a HANDED reply came first). */
  private handedTo = -1;
  /** Per key: the number of the spawn frame of its current request (what the started map shows once it starts). */
  private frameOf: number[] = [];
  private readonly word = Buffer.alloc(4);

  /** Requests for the launcher, written once per turn of the event loop. */
  private readonly out = new RequestBatch(() => this.launcher?.stdin);

  private readonly replies = new ReplyFramer();
  private readonly dispatchBound = (b: Buffer, off: number): void => this.dispatch(b, off);
  private readonly onDataBound = (chunk: Buffer): void => this.onData(chunk);

  private readonly envRegistry = new FinalizationRegistry<{ launcher: Launcher; id: number }>((held) => {
    this.forgetEnv(held.launcher, held.id);
  });

  /**
   * @param listener receives every report.
   * @param options see {@link LauncherSpawnerOptions}.
   */
  constructor(listener: SpawnerListener, options: LauncherSpawnerOptions = {}) {
    this.listener = listener;
    this.binary = options.binary ?? defaultLauncherPath();
    this.keep = options.keepOnParentDeath ?? false;
    this.deferred = new DeferredReports(listener);
  }

  /**
   * Starts a process; the outcome arrives through the listener. Keys must be unique among the
   * processes not yet finished.
   *
   * @throws InvalidArgumentError for a malformed request or a key still in use.
   * @throws SpawnerClosedError after {@link close}.
   */
  spawn(request: SpawnRequest): void {
    if (this.closing !== undefined) throw new SpawnerClosedError(this.name);
    checkRequestShape(request);
    if (this.requests.has(request.key)) {
      throw new InvalidArgumentError('request.key', `key ${request.key} is still in use`);
    }
    const nul = fieldWithNul(request);
    if (nul !== undefined) {
      this.deferred.failed(request.key, 'EINVAL', `request.${nul} contains a NUL byte`);
      return;
    }
    if (request.argv.length > 0xffff || (request.extraEnv?.length ?? 0) > 0xffff) {
      this.deferred.failed(request.key, 'E2BIG', 'too many arguments or variables');
      return;
    }
    const launcher = this.launcher ?? this.start();
    const envId = this.envId(launcher, request.env);
    if (envId < 0) {
      this.deferred.failed(request.key, 'EINVAL', 'request.env contains a NUL byte');
      return;
    }
    this.requests.set(request.key, request);
    if (request.standby === true) this.standbys.add(request.key);
    this.encodeSpawn(launcher, request, envId);
    this.updateRef();
  }

  /**
   * Sends `signal` to a running process, or to its process group when `group` is true (which also
   * reaches stragglers of a finished group leader while they live). Does nothing for processes
   * that are gone.
   *
   * @throws InvalidArgumentError for an unknown signal name.
   */
  kill(pid: number, signal: NodeJS.Signals, group: boolean): void {
    const signo = signalNumber(signal);
    const launcher = this.launcher;
    if (launcher === undefined || launcher.dead || this.closing !== undefined) return; // close() kills all
    if (!Number.isInteger(pid) || pid <= 0) return;
    this.out.kill(pid, signo, group);
  }

  /**
   * Takes back a request that has not started: a standby not handed a slot yet, or one still
   * waiting for a launcher thread; `onWithdrawn` confirms it. One that started is answered as usual.
   */
  withdraw(key: number): void {
    if (this.requests.has(key) && !this.pids.has(key)) this.standbyOp(OP_WITHDRAW, key);
  }

  /**
   * Sends `signal` to the process group of request `key` if the launcher has started it (or is
   * starting it: it then signals the process as soon as vfork() returns), though its `onSpawn` has
   * not arrived yet. Knows without a round trip: the launcher marks every request in a shared file
   * (the started map) before it starts it. Returns false, sending nothing, if it has not started.
   *
   * @throws InvalidArgumentError for an unknown signal name.
   */
  signalRequest(key: number, signal: NodeJS.Signals): boolean {
    const signo = signalNumber(signal);
    const pid = this.pids.get(key);
    if (pid !== undefined) {
      this.kill(pid, signal, true);
      return true;
    }
    const launcher = this.launcher;
    if (launcher === undefined || launcher.dead || this.closing !== undefined || launcher.mapFd < 0) return false;
    if (!this.requests.has(key) || key >= STARTED_MAP_ENTRIES) return false;
    if (readSync(launcher.mapFd, this.word, 0, 4, key * 4) !== 4 || this.word.readUInt32LE(0) !== this.frameOf[key]) return false;
    this.out.signalRequest(key, signo);
    this.out.flush(); // the process is running: do not let it run a loop turn longer without its signal
    return true;
  }

  /**
   * Starts a standby request now: the caller found it a slot. If a process handed it one first
   * (`onExit` with `handedTo` on its way), this does nothing more.
   */
  promote(key: number): void {
    if (this.standbys.delete(key)) this.standbyOp(OP_PROMOTE, key);
  }

  private standbyOp(op: number, key: number): void {
    const launcher = this.launcher;
    if (launcher === undefined || launcher.dead || this.closing !== undefined) return;
    this.out.op(op, key);
  }

  /**
   * Stops the launcher: it SIGKILLs the process groups still running (and their orphaned
   * descendants), reaps them, reports their exits through the listener, and exits. Requests it had
   * not started yet fail with `ECANCELED`. Resolves once it has exited; calling it again returns
   * the same promise.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const launcher = this.launcher;
    if (launcher === undefined) return;
    this.out.flush();
    if (!launcher.dead) {
      refable(launcher.child)?.ref();
      refable(launcher.stdout)?.ref();
      launcher.stdin.end();
    }
    await launcher.gone;
  }

  // ---------------------------------------------------------------------------------------------
  // Starting and losing the launcher

  private start(): Launcher {
    const mapFd = startedMapFile();
    const args = [String(process.pid), ...(this.keep ? ['keep'] : []), ...(mapFd >= 0 ? ['map'] : [])];
    const child = spawnChild(this.binary, args, {
      stdio: ['pipe', 'pipe', 'pipe', mapFd >= 0 ? mapFd : 'ignore'],
      // Its own session: a terminal's Ctrl-C reaches Node, which decides what happens to the jobs.
      detached: true,
      env: {},
    });
    const stdin = child.stdin!;
    const stdout = child.stdout!;
    const stderr = child.stderr!;
    let resolveGone!: () => void;
    const launcher: Launcher = {
      child,
      stdin,
      stdout,
      cwd: process.cwd(),
      envIds: new WeakMap(),
      freeEnvIds: [],
      nextEnvId: 1,
      gone: new Promise<void>((resolve) => (resolveGone = resolve)),
      stderrTail: '',
      dead: false,
      mapFd,
      spawnFrames: 0,
    };
    this.launcher = launcher;
    this.replies.reset();
    this.referenced = false;

    stdout.on('data', this.onDataBound);
    stderr.setEncoding('utf8');
    stderr.on('data', (text: string) => {
      launcher.stderrTail = (launcher.stderrTail + text).slice(-STDERR_TAIL);
    });
    stdin.on('error', () => {
      // EPIPE after the launcher died: handled by the 'close' event below.
    });
    let failure: Error | undefined;
    child.on('error', (error) => {
      failure = error;
      this.lost(launcher, error);
      resolveGone();
    });
    child.on('close', (code, signal) => {
      this.lost(launcher, failure ?? { code, signal });
      resolveGone();
    });

    child.unref();
    refable(stdin)?.unref();
    refable(stderr)?.unref();
    refable(stdout)?.unref();
    return launcher;
  }

  /**
   * The launcher is gone; settles everything it still owed. Idempotent.
   *
   * After an orderly exit (status 0: close(), or SIGTERM/SIGINT/SIGHUP) requests without an answer
   * were never acted on: after close() they fail with `ECANCELED`; otherwise they are sent to a new
   * launcher, once. After a crash, answerless requests fail with `ELAUNCHER` (one of them may have
   * started unseen: a crash can lose a reply), and running processes are SIGKILLed by group and
   * reported with wait status 9.
   */
  private lost(launcher: Launcher, why: Error | { code: number | null; signal: NodeJS.Signals | null } | undefined): void {
    if (launcher.dead) return;
    launcher.dead = true;
    if (launcher.mapFd >= 0) {
      closeSync(launcher.mapFd);
      launcher.mapFd = -1;
    }
    if (this.launcher === launcher) {
      this.launcher = undefined;
      this.out.clear(); // requests for the dead launcher; their keys are settled below
    }
    if (this.requests.size === 0) {
      this.updateRef();
      return;
    }
    const exitedCleanly = why !== undefined && !(why instanceof Error) && why.code === 0;
    const orderly = exitedCleanly && this.closing === undefined;
    const requests = [...this.requests];
    this.requests.clear();
    const pids = new Map(this.pids);
    this.pids.clear();

    const waiting = this.standbys;
    this.standbys = new Set();
    this.handedTo = -1;
    const retry: SpawnRequest[] = [];
    const canceled: SpawnRequest[] = [];
    const failed: SpawnRequest[] = [];
    const withdrawn: number[] = [];
    for (const [key, request] of requests) {
      if (pids.has(key)) failed.push(request);
      else if (exitedCleanly && waiting.has(key) && this.listener.onWithdrawn !== undefined) withdrawn.push(key);
      else if (orderly && !this.retried.has(key)) retry.push(request);
      else if (exitedCleanly) canceled.push(request); // close() came first: it was never started
      else failed.push(request);
    }
    for (const key of withdrawn) this.call(() => this.listener.onWithdrawn!(key));
    for (const request of canceled) {
      const key = request.key;
      this.retried.delete(key);
      this.call(() => this.listener.onSpawnError(key, 'ECANCELED', 'the spawner was closed before the process started'));
    }
    for (const request of retry) {
      this.retried.add(request.key);
      const next = this.launcher ?? this.start();
      // A standby not waiting any more holds a slot (handed or promoted): it starts at once this time.
      const again = request.standby === true ? { ...request, standby: false } : request;
      this.requests.set(request.key, again);
      this.encodeSpawn(next, again, this.envId(next, again.env));
    }
    this.updateRef();
    if (failed.length === 0) return;

    const reason =
      why === undefined
        ? 'it exited'
        : why instanceof Error
          ? why.message
          : `it exited with ${why.signal ?? `status ${why.code}`}`;
    const detail = launcher.stderrTail.trim();
    process.emitWarning(
      `jobfutures launcher ${this.binary} died with ${failed.length} processes outstanding (${reason})` +
        (detail ? `: ${detail}` : ''),
      { code: 'JOBF_LAUNCHER_LOST' },
    );
    for (const request of failed) {
      const key = request.key;
      this.retried.delete(key);
      const pid = pids.get(key);
      if (pid === undefined) {
        this.call(() => this.listener.onSpawnError(key, 'ELAUNCHER', `the launcher died before answering (${reason})`));
        continue;
      }
      try {
        process.kill(-(request.pgid || pid), 'SIGKILL');
      } catch {
        // already gone
      }
      this.call(() => this.listener.onExit(key, pid, KILLED_STATUS, now()));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Requests

  private envId(launcher: Launcher, env: readonly string[]): number {
    if (env.length === 0) return 0;
    const known = launcher.envIds.get(env);
    if (known !== undefined) return known;
    if (envHasNul(env)) {
      launcher.envIds.set(env, -1);
      return -1;
    }
    const id = launcher.freeEnvIds.pop() ?? launcher.nextEnvId++;
    this.out.env(id, env);
    launcher.envIds.set(env, id);
    this.envRegistry.register(env, { launcher, id });
    return id;
  }

  private forgetEnv(launcher: Launcher, id: number): void {
    if (launcher.dead || this.launcher !== launcher) return;
    this.out.op(OP_FORGET, id);
    launcher.freeEnvIds.push(id);
  }

  private encodeSpawn(launcher: Launcher, r: SpawnRequest, envId: number): void {
    this.frameOf[r.key] = launcher.spawnFrames = (launcher.spawnFrames + 1) >>> 0;
    this.out.spawn(r, envId, launcher.cwd);
  }

  // ---------------------------------------------------------------------------------------------
  // Replies

  private onData(chunk: Buffer): void {
    if (!this.replies.feed(chunk, this.dispatchBound)) return;
    // Replacements spawned by the listeners go out now, in one write, not a loop turn later.
    if (this.out.pending) this.out.flush();
    this.updateRef();
  }

  private dispatch(b: Buffer, off: number): void {
    const type = b[off]!;
    const key = b.readUInt32LE(off + 4);
    const pid = b.readUInt32LE(off + 8);
    const value = b.readInt32LE(off + 12);
    try {
      if (type === R_SPAWNED) {
        this.pids.set(key, pid);
        if (this.retried.size > 0) this.retried.delete(key);
        this.listener.onSpawn(key, pid, b.readUInt32LE(off + 16) + b.readUInt32LE(off + 20) / 1e9);
      } else if (type === R_EXITED) {
        this.requests.delete(key);
        this.pids.delete(key);
        const handedTo = this.handedTo;
        this.handedTo = -1;
        this.listener.onExit(key, pid, value, b.readUInt32LE(off + 16) + b.readUInt32LE(off + 20) / 1e9, handedTo < 0 ? undefined : handedTo);
      } else if (type === R_HANDED) {
        this.handedTo = key;
        this.standbys.delete(key);
      } else if (type === R_WITHDRAWN) {
        this.requests.delete(key);
        this.standbys.delete(key);
        this.listener.onWithdrawn?.(key);
      } else if (type === R_FAILED) {
        const request = this.requests.get(key);
        this.requests.delete(key);
        if (this.retried.size > 0) this.retried.delete(key);
        const phase = PHASES[b[off + 1]!] ?? 'exec';
        const code = errnoName(value);
        const message = request === undefined ? code : spawnFailureMessage(request, code, phase);
        this.listener.onSpawnError(key, spawnErrno(code, phase), message);
      }
    } catch (error) {
      // A throwing listener must not cost us the rest of the chunk: rethrow once we are done.
      process.nextTick(() => {
        throw error;
      });
    }
  }

  private call(report: () => void): void {
    try {
      report();
    } catch (error) {
      process.nextTick(() => {
        throw error;
      });
    }
  }

  /** References the reply pipe while anything is outstanding, so Node waits for those exits. */
  private updateRef(): void {
    const want = this.requests.size > 0;
    if (want === this.referenced) return;
    const stdout = this.launcher === undefined ? undefined : refable(this.launcher.stdout);
    if (stdout === undefined) {
      this.referenced = false;
      return;
    }
    this.referenced = want;
    if (want) stdout.ref();
    else if (this.closing === undefined) stdout.unref();
  }
}
