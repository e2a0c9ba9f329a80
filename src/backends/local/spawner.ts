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
  /** 0: the process leads a new process group; > 0: it joins that group (tasks of one job). */
  readonly pgid: number;
}

/** The callbacks through which a spawner reports. */
export interface SpawnerListener {
  /** The process is running. */
  onSpawn(key: number, pid: number): void;
  /** The process could not be started; `errno` is e.g. `ENOENT`, `EACCES`. */
  onSpawnError(key: number, errno: string, message: string): void;
  /** The process ended; `waitstatus` as from waitpid(2): `code << 8` or the signal number. */
  onExit(key: number, pid: number, waitstatus: number): void;
}

/** Starts processes and reports on them. */
export interface Spawner {
  /** `execa` or `launcher`. */
  readonly name: string;
  /** Starts a process; the outcome arrives through the listener. */
  spawn(request: SpawnRequest): void;
  /** Sends `signal` to a process, or to its whole process group when `group` is true. Never throws for gone processes. */
  kill(pid: number, signal: NodeJS.Signals, group: boolean): void;
  /** Stops the spawner. Processes still running are killed (SIGKILL to their groups). */
  close(): Promise<void>;
}

/** Makes a spawner that reports to `listener`. */
export type SpawnerFactory = (listener: SpawnerListener) => Spawner;
