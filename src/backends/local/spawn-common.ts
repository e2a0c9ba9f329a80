/**
 * What both spawners share: the naming of start failures, request validation, signal numbers, the
 * spawners' typed errors, and a queue that delivers early reports asynchronously.
 *
 * Start failures are reported as `onSpawnError(key, errno, message)`. `errno` is the errno name
 * (`ENOENT`, `EACCES`, ...) when running the program failed, and `NAME:phase` when something else
 * failed first, so a missing working directory is never mistaken for a missing program:
 *
 * | errno           | meaning                                                            |
 * | --------------- | ------------------------------------------------------------------ |
 * | `ENOENT`        | `argv[0]` not found (in the request environment's `PATH`)          |
 * | `EACCES`        | `argv[0]` found but not executable                                 |
 * | `ENOENT:cwd`    | the working directory does not exist (also `ENOTDIR:cwd`, `EACCES:cwd`) |
 * | `EACCES:stdout` | the stdout file could not be opened (also `:stdin`, `:stderr`)     |
 * | `EPERM:pgid`    | the process group to join is gone or not one of this spawner's     |
 * | `EINVAL`        | the request holds a NUL byte (which no process argument can carry) |
 * | `ELAUNCHER`     | the native launcher died before answering (launcher spawner only)  |
 * | `ECANCELED`     | `close()` came before the process was started (launcher spawner)   |
 */
import { constants as osConstants } from 'node:os';
import { getSystemErrorMap } from 'node:util';
import { InvalidArgumentError, JobfuturesError } from '../../util/errors.js';
import type { SpawnRequest, SpawnerListener } from './spawner.js';

/** The step that failed when a process could not be started. */
export type SpawnFailurePhase = 'exec' | 'cwd' | 'stdin' | 'stdout' | 'stderr' | 'pgid';

/** The `errno` string reported for a failure: `CODE` for `exec`, `CODE:phase` otherwise. */
export function spawnErrno(code: string, phase: SpawnFailurePhase): string {
  return phase === 'exec' ? code : `${code}:${phase}`;
}

/** Splits an `errno` string reported by a spawner into the errno name and the phase that failed. */
export function splitSpawnErrno(errno: string): { code: string; phase: SpawnFailurePhase } {
  const colon = errno.indexOf(':');
  if (colon < 0) return { code: errno, phase: 'exec' };
  return { code: errno.slice(0, colon), phase: errno.slice(colon + 1) as SpawnFailurePhase };
}

const errnoNames = new Map<number, string>();
const errnoMessages = new Map<string, string>();
for (const [negative, [name, message]] of getSystemErrorMap()) {
  errnoNames.set(-negative, name);
  errnoMessages.set(name, message);
}

/** The name of a (positive) errno number, e.g. `ENOENT` for 2; `E<n>` for an unknown number. */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `E${errno}`;
}

/** The signal number of a signal name, e.g. 9 for `SIGKILL`. @throws InvalidArgumentError for an unknown name. */
export function signalNumber(signal: NodeJS.Signals): number {
  const n = (osConstants.signals as Record<string, number | undefined>)[signal];
  if (n === undefined) throw new InvalidArgumentError('signal', `unknown signal ${String(signal)}`);
  return n;
}

/** A human-readable message for a start failure of `request`. */
export function spawnFailureMessage(request: SpawnRequest, code: string, phase: SpawnFailurePhase): string {
  const why = errnoMessages.get(code);
  const tail = why === undefined ? code : `${code} (${why})`;
  switch (phase) {
    case 'exec':
      return `cannot run ${JSON.stringify(request.argv[0] ?? '')}: ${tail}`;
    case 'cwd':
      return `cannot use working directory ${JSON.stringify(request.cwd ?? '')}: ${tail}`;
    case 'stdin':
      return `cannot open stdin file ${JSON.stringify(request.stdin ?? '/dev/null')}: ${tail}`;
    case 'stdout':
      return `cannot open stdout file ${JSON.stringify(request.stdout)}: ${tail}`;
    case 'stderr':
      return `cannot open stderr file ${JSON.stringify(request.stderr)}: ${tail}`;
    case 'pgid':
      return `cannot join process group ${request.pgid}: ${tail}; it has no members left or was not started by this spawner`;
  }
}

function hasNul(s: string): boolean {
  return s.includes('\0');
}

/**
 * Checks what a caller can get wrong in a request without it being a runtime failure.
 *
 * @throws InvalidArgumentError for a key that is not a uint32, a negative or non-integer pgid, or an empty argv.
 */
export function checkRequestShape(request: SpawnRequest): void {
  if (!Number.isInteger(request.key) || request.key < 0 || request.key > 0xffff_ffff) {
    throw new InvalidArgumentError('request.key', `must be an integer in 0..2^32-1, got ${request.key}`);
  }
  if (!Number.isInteger(request.pgid) || request.pgid < 0 || request.pgid > 0x7fff_ffff) {
    throw new InvalidArgumentError('request.pgid', `must be 0 or a process group id, got ${request.pgid}`);
  }
  if (request.argv.length === 0) throw new InvalidArgumentError('request.argv', 'must not be empty');
  const klass = request.handoffClass ?? 0;
  if (!Number.isInteger(klass) || klass < 0 || klass > 0xffff) {
    throw new InvalidArgumentError('request.handoffClass', `must be an integer in 0..65535, got ${klass}`);
  }
  if (request.standby === true && klass === 0) {
    throw new InvalidArgumentError('request.standby', 'a standby request needs a handoffClass > 0 (the processes that may hand it a slot)');
  }
}

/**
 * The name of the first field of `request` (other than the base `env`) holding a NUL byte, or
 * undefined. Processes cannot receive NUL bytes in arguments, variables or paths.
 */
export function fieldWithNul(request: SpawnRequest): string | undefined {
  for (const a of request.argv) if (hasNul(a)) return 'argv';
  if (request.extraEnv !== undefined) for (const e of request.extraEnv) if (hasNul(e)) return 'extraEnv';
  if (request.cwd !== undefined && hasNul(request.cwd)) return 'cwd';
  if (request.stdin !== undefined && hasNul(request.stdin)) return 'stdin';
  if (hasNul(request.stdout)) return 'stdout';
  if (hasNul(request.stderr)) return 'stderr';
  return undefined;
}

/** Whether any string of `env` holds a NUL byte. */
export function envHasNul(env: readonly string[]): boolean {
  for (const e of env) if (hasNul(e)) return true;
  return false;
}

/** A spawner was used after {@link Spawner.close}. */
export class SpawnerClosedError extends JobfuturesError {
  constructor(spawner: string) {
    super('ERR_SPAWNER_CLOSED', `the ${spawner} spawner is closed`);
  }
}

/** A spawner was asked for by name but cannot work here (e.g. the native launcher is not built). */
export class SpawnerUnavailableError extends JobfuturesError {
  constructor(spawner: string, reason: string) {
    super('ERR_SPAWNER_UNAVAILABLE', `the ${spawner} spawner is unavailable: ${reason}`);
  }
}

/**
 * Start outcomes known at `spawn()` time (a validation failure, a pid Node returned synchronously),
 * delivered on the next tick so that listeners are never called from inside `spawn()`. Keeps the
 * reports in flat arrays: no allocation per report beyond the array slots.
 */
export class DeferredReports {
  private readonly keys: number[] = [];
  private readonly pids: number[] = [];
  private readonly times: number[] = [];
  private readonly errnos: (string | undefined)[] = [];
  private readonly messages: (string | undefined)[] = [];
  private scheduled = false;
  private readonly flushBound = (): void => this.flush();

  constructor(private readonly listener: SpawnerListener) {}

  /** Queues `onSpawn(key, pid, t)`. */
  spawned(key: number, pid: number, t: number): void {
    this.push(key, pid, undefined, undefined, t);
  }

  /** Queues `onSpawnError(key, errno, message)`. */
  failed(key: number, errno: string, message: string): void {
    this.push(key, 0, errno, message, 0);
  }

  private push(key: number, pid: number, errno: string | undefined, message: string | undefined, t: number): void {
    this.keys.push(key);
    this.pids.push(pid);
    this.times.push(t);
    this.errnos.push(errno);
    this.messages.push(message);
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.flushBound);
    }
  }

  /** Delivers everything queued; a listener that throws does not stop the others (the first error is rethrown). */
  flush(): void {
    this.scheduled = false;
    let failure: { error: unknown } | undefined;
    for (let i = 0; i < this.keys.length; i++) {
      const errno = this.errnos[i];
      try {
        if (errno === undefined) this.listener.onSpawn(this.keys[i]!, this.pids[i]!, this.times[i]!);
        else this.listener.onSpawnError(this.keys[i]!, errno, this.messages[i]!);
      } catch (error) {
        failure ??= { error };
      }
    }
    this.keys.length = 0;
    this.pids.length = 0;
    this.times.length = 0;
    this.errnos.length = 0;
    this.messages.length = 0;
    if (failure !== undefined) throw failure.error;
  }
}
