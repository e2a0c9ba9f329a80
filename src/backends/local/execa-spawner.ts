/**
 * The execa spawner: plain Node (execa over `child_process.spawn`), always available. Slower than
 * the launcher spawner, with the same reports.
 */
import { closeSync, openSync, statSync, accessSync, constants as fsConstants } from 'node:fs';
import { execa } from 'execa';
import { InvalidArgumentError } from '../../util/errors.js';
import { now } from '../../util/time.js';
import {
  DeferredReports,
  SpawnerClosedError,
  checkRequestShape,
  envHasNul,
  fieldWithNul,
  signalNumber,
  spawnErrno,
  spawnFailureMessage,
  type SpawnFailurePhase,
} from './spawn-common.js';
import type { SpawnRequest, Spawner, SpawnerListener } from './spawner.js';

type Env = Record<string, string>;
type FdOption = 3;

/** How often lingering groups (leader gone, members left) are checked for emptiness, at most. */
const PROBE_INTERVAL_MS = 1000;

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalQuietly(target: number, signal: NodeJS.Signals): void {
  try {
    process.kill(target, signal);
  } catch {
    // ESRCH: gone already
  }
}

/** The errno of a working directory that cannot be used, or undefined if it looks fine. */
function cwdProblem(cwd: string): string | undefined {
  try {
    if (!statSync(cwd).isDirectory()) return 'ENOTDIR';
    accessSync(cwd, fsConstants.X_OK);
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'ENOENT';
  }
}

function envObject(strings: readonly string[], into: Env): Env {
  for (const s of strings) {
    const eq = s.indexOf('=');
    if (eq < 0) into[s] = '';
    else into[s.slice(0, eq)] = s.slice(eq + 1);
  }
  return into;
}

/**
 * A {@link Spawner} on execa, for when the native launcher is not built.
 *
 * - Each process leads its own process group (and session: Node's `detached`). Node cannot make a
 *   child join an existing group, so `pgid > 0` is ignored: tasks of one job get one group each,
 *   and a group kill of a job must signal each task's group.
 * - Redirect files are opened here (stdout/stderr created or truncated, mode 0666 & ~umask; one
 *   shared open file when stdout and stderr are the same path) and handed to the child as file
 *   descriptors; relative paths resolve against Node's working directory.
 * - `argv[0]` is looked up in the request environment's `PATH` (Node's execvp semantics), and the
 *   environment is exactly the request's (`extendEnv: false`).
 * - Wait statuses are rebuilt from Node's exit code and signal (`code << 8` or the signal number);
 *   the core-dump bit is not available from Node.
 * - `kill()` signals only processes not yet reaped, and groups whose leader is running or that had
 *   members left when their leader ended (checked at most once a second), so that a recycled pid is
 *   never signalled. `close()` SIGKILLs those groups and reports the exits before it resolves.
 */
export class ExecaSpawner implements Spawner {
  /** `execa`. */
  readonly name = 'execa';

  private readonly listener: SpawnerListener;
  private readonly deferred: DeferredReports;
  private readonly envs = new WeakMap<readonly string[], Env | null>();
  /** Keys of processes not yet finished (pending or running). */
  private readonly keys = new Set<number>();
  /** Pids of running processes, by key. */
  private readonly pidOf = new Map<number, number>();
  /** Running processes: pid → settled promise of their exit report. */
  private readonly running = new Map<number, Promise<void>>();
  /** When Node saw each process exit (its 'exit' event; the promise settles later). */
  private readonly exitTimes = new Map<number, number>();
  /** Groups whose leader ended while members remained. */
  private readonly lingering = new Set<number>();
  private lastProbe = 0;
  private closing: Promise<void> | undefined;

  /** @param listener receives every report. */
  constructor(listener: SpawnerListener) {
    this.listener = listener;
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
    const key = request.key;
    if (this.keys.has(key)) throw new InvalidArgumentError('request.key', `key ${key} is still in use`);
    const nul = fieldWithNul(request);
    if (nul !== undefined) {
      this.deferred.failed(key, 'EINVAL', `request.${nul} contains a NUL byte`);
      return;
    }
    const env = this.env(request);
    if (env === null) {
      this.deferred.failed(key, 'EINVAL', 'request.env contains a NUL byte');
      return;
    }

    const fds: number[] = [];
    let phase: SpawnFailurePhase = 'stdin';
    try {
      const stdin = openSync(request.stdin ?? '/dev/null', 'r');
      fds.push(stdin);
      phase = 'stdout';
      const stdout = openSync(request.stdout, request.append ? 'a' : 'w', 0o666);
      fds.push(stdout);
      phase = 'stderr';
      const stderr = request.stderr === request.stdout ? stdout : openSync(request.stderr, request.append ? 'a' : 'w', 0o666);
      if (stderr !== stdout) fds.push(stderr);
      phase = 'exec';
      this.start(request, env, stdin, stdout, stderr);
    } catch (error) {
      if (phase === 'exec') throw error; // not a start failure: a bug to surface
      const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
      this.deferred.failed(key, spawnErrno(code, phase), spawnFailureMessage(request, code, phase));
    } finally {
      for (const fd of fds) closeSync(fd); // the child has its own copies by now
    }
  }

  private start(request: SpawnRequest, env: Env, stdin: number, stdout: number, stderr: number): void {
    const [file, ...args] = request.argv as [string, ...string[]];
    const subprocess = execa(file, args, {
      env,
      extendEnv: false,
      cwd: request.cwd,
      detached: true,
      cleanup: false,
      buffer: false,
      reject: false,
      // execa's types list only fds 3..9; any open fd works (it goes to child_process.spawn as is).
      stdin: stdin as FdOption,
      stdout: stdout as FdOption,
      stderr: stderr as FdOption,
    });
    const t = now(); // child_process.spawn has created the process by the time it returns
    const key = request.key;
    const pid = subprocess.pid;
    this.keys.add(key);
    if (pid === undefined) {
      // Node could not start it; execa reports why once the 'error' event has fired.
      void subprocess.then((result) => {
        this.keys.delete(key);
        this.reportStartFailure(request, result.code ?? 'EIO');
      });
      return;
    }
    this.lingering.delete(pid); // pid was free, so a group of that number is gone
    this.deferred.spawned(key, pid, t);
    this.pidOf.set(key, pid);
    subprocess.on('exit', () => this.exitTimes.set(pid, now()));
    const done = subprocess.then((result) => {
      this.keys.delete(key);
      this.pidOf.delete(key);
      this.running.delete(pid);
      this.noteGroupEnd(pid);
      const status = result.signal !== undefined ? signalNumber(result.signal) : ((result.exitCode ?? 0) & 0xff) << 8;
      const tExit = this.exitTimes.get(pid) ?? now();
      this.exitTimes.delete(pid);
      this.listener.onExit(key, pid, status, tExit);
    });
    this.running.set(pid, done);
  }

  private reportStartFailure(request: SpawnRequest, code: string): void {
    let phase: SpawnFailurePhase = 'exec';
    if (request.cwd !== undefined) {
      const problem = cwdProblem(request.cwd);
      if (problem !== undefined) {
        code = problem;
        phase = 'cwd';
      }
    }
    this.listener.onSpawnError(request.key, spawnErrno(code, phase), spawnFailureMessage(request, code, phase));
  }

  private env(request: SpawnRequest): Env | null {
    let base = this.envs.get(request.env);
    if (base === undefined) {
      base = envHasNul(request.env) ? null : envObject(request.env, Object.create(null) as Env);
      this.envs.set(request.env, base);
    }
    if (base === null || request.extraEnv === undefined || request.extraEnv.length === 0) return base;
    return envObject(request.extraEnv, { ...base });
  }

  private noteGroupEnd(pgid: number): void {
    if (groupExists(pgid)) this.lingering.add(pgid);
    this.probeLingering(false);
  }

  private probeLingering(now: boolean): void {
    if (this.lingering.size === 0) return;
    const t = Date.now();
    if (!now && t - this.lastProbe < PROBE_INTERVAL_MS) return;
    this.lastProbe = t;
    for (const g of this.lingering) if (!groupExists(g)) this.lingering.delete(g);
  }

  /**
   * Sends `signal` to a running process, or to its process group when `group` is true. Does
   * nothing for processes and groups that are gone.
   *
   * @throws InvalidArgumentError for an unknown signal name.
   */
  kill(pid: number, signal: NodeJS.Signals, group: boolean): void {
    signalNumber(signal);
    if (this.running.has(pid)) signalQuietly(group ? -pid : pid, signal);
    else if (group && this.lingering.has(pid)) signalQuietly(-pid, signal);
  }

  /**
   * Sends `signal` to the process group of request `key` if its process is running (Node creates
   * processes synchronously, so only a request that failed to start or has ended has none).
   */
  signalRequest(key: number, signal: NodeJS.Signals): boolean {
    signalNumber(signal);
    const pid = this.pidOf.get(key);
    if (pid === undefined) return false;
    signalQuietly(-pid, signal);
    return true;
  }

  /**
   * SIGKILLs every process group still running (or lingering), waits for the processes' exits
   * (reported through the listener) and resolves. Calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.probeLingering(true);
    for (const g of this.lingering) signalQuietly(-g, 'SIGKILL');
    for (const pid of this.running.keys()) signalQuietly(-pid, 'SIGKILL');
    await Promise.all(this.running.values());
    this.deferred.flush();
    // Stragglers of groups that ended while we waited.
    this.probeLingering(true);
    for (const g of this.lingering) signalQuietly(-g, 'SIGKILL');
    this.lingering.clear();
  }
}
