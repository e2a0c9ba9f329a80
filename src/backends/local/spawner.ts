/**
 * How the local backend starts processes. Two implementations: {@link ExecaSpawner} (plain Node,
 * always available) and the launcher spawner (a small long-lived native process that forks jobs on
 * request, because spawning from a large Node process is the throughput wall).
 */

/** One process to start. */
export interface SpawnRequest {
  /** The caller's key, echoed in every callback about this process. */
  readonly key: number;
  /** Program and arguments, byte-exact, no shell. `argv[0]` is looked up in the environment's PATH. */
  readonly argv: readonly string[];
  /**
   * The base environment, as `KEY=VALUE` strings. The same array object is passed for every process
   * of jobs built from the same spec, so a spawner may cache what it derives from it by identity.
   */
  readonly env: readonly string[];
  /** Per-process additions (`KEY=VALUE`), overriding `env` (e.g. `JOBFUTURES_TASK_RANK`). */
  readonly extraEnv?: readonly string[];
  /** Working directory; the caller's when undefined. */
  readonly cwd?: string;
  /** File to read stdin from; `/dev/null` when undefined. */
  readonly stdin?: string;
  /** File that receives stdout (created or truncated). */
  readonly stdout: string;
  /** File that receives stderr (created or truncated); may equal `stdout`, then both share one file. */
  readonly stderr: string;
  /** Open `stdout`/`stderr` for appending instead of truncating (the other tasks of a multi-task job). Default false. */
  readonly append?: boolean;
  /**
   * Create the `stdout`/`stderr` files only once something is written to them (not with `append`):
   * a file is made at its path within ~100 ms of the first write, and before `onExit` if written by
   * then; one still empty when the process ends is never made (a file already there is removed).
   * Spawners that cannot do it (the execa spawner; the launcher where O_TMPFILE is unsupported)
   * create the files at once. Default false.
   */
  readonly lazyOutput?: boolean;
  /** 0: the process leads a new process group; > 0: it joins that group (tasks of one job). */
  readonly pgid: number;
  /**
   * Hand-off class (spawners with {@link Spawner.handoff} only): when this process exits, its slot
   * goes straight to the oldest standby request of the same class, which starts without waiting
   * for the caller to hear of the exit. `onExit` then says so. 0 or undefined: no hand-off.
   */
  readonly handoffClass?: number;
  /**
   * Do not start now: wait, first in first out, until a process of `handoffClass` hands over its
   * slot, {@link Spawner.promote} starts it, or {@link Spawner.withdraw} takes it back. Default false.
   */
  readonly standby?: boolean;
}

/** The callbacks through which a spawner reports. */
export interface SpawnerListener {
  /**
   * The process is running; `t` is when it was started (float seconds since the epoch, taken by the
   * spawner as it created the process, not when this report is delivered).
   */
  onSpawn(key: number, pid: number, t: number): void;
  /** The process could not be started; `errno` is e.g. `ENOENT`, `EACCES`. */
  onSpawnError(key: number, errno: string, message: string): void;
  /**
   * The process ended; `waitstatus` as from waitpid(2): `code << 8` or the signal number; `t`: when
   * it was reaped (float seconds since the epoch).
   * `handedTo`: the key of the standby request its slot went to (whose `onSpawn` or `onSpawnError`
   * follows), if any. That request may have been promoted already; then the slot is simply free.
   */
  onExit(key: number, pid: number, waitstatus: number, t: number, handedTo?: number): void;
  /** A request was withdrawn (or, a standby, its spawner lost) before it started: it never will. */
  onWithdrawn?(key: number): void;
}

/** Starts processes and reports on them. */
export interface Spawner {
  /** `execa` or `launcher`. */
  readonly name: string;
  /** Starts a process; the outcome arrives through the listener. */
  spawn(request: SpawnRequest): void;
  /** Sends `signal` to a process, or to its whole process group when `group` is true. Never throws for gone processes. */
  kill(pid: number, signal: NodeJS.Signals, group: boolean): void;
  /** Whether `handoffClass` and `standby` requests are honoured. */
  readonly handoff?: boolean;
  /**
   * Takes back a request that has not started: a standby with no slot yet, or one still waiting in
   * the spawner (reported by `onWithdrawn`); one that is starting is answered as usual.
   */
  withdraw?(key: number): void;
  /**
   * Sends `signal` to the process group of request `key` whose `onSpawn` has not been delivered
   * yet, if its process exists or is being created (it then gets the signal as soon as it exists),
   * and returns true; returns false, sending nothing, if it has not started.
   */
  signalRequest?(key: number, signal: NodeJS.Signals): boolean;
  /** Starts a standby request now (the caller found it a slot), unless a process handed it one already. */
  promote?(key: number): void;
  /** Stops the spawner. Processes still running are killed (SIGKILL to their groups). */
  close(): Promise<void>;
}

/** Makes a spawner that reports to `listener`. */
export type SpawnerFactory = (listener: SpawnerListener) => Spawner;
