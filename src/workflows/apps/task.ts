/**
 * {@link AppTask}: one launched app, as libEnsemble's `Task`: a non-blocking {@link AppTask.poll}
 * of its state, {@link AppTask.kill} with a grace time, and readers of its outputs and of files in
 * its working directory. It wraps the job's {@link JobFuture} (`task.future`), which stays the
 * source of truth: `await task` is `await task.future`.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { JobResult } from '../../core/types.js';
import type { JobExecutor, JobFuture } from '../../executor/index.js';
import type { JobID } from '../../ids/index.js';
import { InvalidArgumentError } from '../../util/errors.js';
import type { AppDefinition } from './registry.js';

/**
 * A task's state, libEnsemble's names: `WAITING` (submitted, not running yet), `RUNNING`,
 * `FINISHED` (exit 0), `FAILED` (a non-zero exit, a signal, a time-out), `USER_KILLED` (ended by
 * {@link AppTask.kill} or canceled), `FAILED_TO_START` (rejected at submit, or its program could
 * not be started).
 */
export type AppTaskState = 'WAITING' | 'RUNNING' | 'FINISHED' | 'FAILED' | 'USER_KILLED' | 'FAILED_TO_START';

/** States in which the task is over. */
export const APP_TASK_FINAL_STATES: readonly AppTaskState[] = ['FINISHED', 'FAILED', 'USER_KILLED', 'FAILED_TO_START'];

/** Options of {@link AppTask.kill}. */
export interface KillOptions {
  /**
   * Milliseconds between SIGTERM and SIGKILL (libEnsemble's `wait_time`, there in seconds): the
   * task gets SIGTERM, and SIGKILL if it is still running after this long. `0` sends SIGKILL at
   * once. Default 60,000 (libEnsemble's 60 s). On Slurm a SIGKILL is `scancel --signal=KILL`,
   * which Slurm carries out as its own termination (SIGTERM, then SIGKILL after `KillWait`).
   */
  readonly waitTime?: number;
}

/** Default {@link KillOptions.waitTime}: 60 s, as libEnsemble. */
export const DEFAULT_KILL_WAIT_MS = 60_000;

/** One launched app (see the module description). */
export class AppTask implements PromiseLike<JobResult> {
  /** The app it runs. */
  readonly app: AppDefinition;
  /** The job's future. */
  readonly future: JobFuture;
  /** Absolute working directory of the task. */
  readonly workdir: string;
  /** The argv the task runs (the app's full path, then its arguments). */
  readonly argv: readonly string[];
  readonly #executor: JobExecutor;
  #killed = false;
  #killing: Promise<JobResult> | undefined;

  /** @internal Made by `AppRegistry.launch`. */
  constructor(executor: JobExecutor, app: AppDefinition, future: JobFuture, workdir: string, argv: readonly string[]) {
    this.#executor = executor;
    this.app = app;
    this.future = future;
    this.workdir = workdir;
    this.argv = argv;
  }

  /** The job id (undefined if the submission was rejected: then {@link state} is `FAILED_TO_START`). */
  get id(): JobID | undefined {
    return this.future.id;
  }

  /** Absolute path of the task's stdout (undefined if the submission was rejected). */
  get stdoutPath(): string | undefined {
    return this.future.stdoutPath;
  }

  /** Absolute path of the task's stderr (undefined if the submission was rejected). */
  get stderrPath(): string | undefined {
    return this.future.stderrPath;
  }

  /** The current state, without waiting (same as {@link poll}). */
  get state(): AppTaskState {
    return this.poll();
  }

  /** Whether the task is over (libEnsemble's `task.finished`, whatever the outcome). */
  get finished(): boolean {
    return this.future.done();
  }

  /** Whether the task ended with exit code 0 (libEnsemble's `task.success`). */
  get success(): boolean {
    return this.poll() === 'FINISHED';
  }

  /** The exit code once over (minus the signal number for a death by signal), else undefined (libEnsemble's `task.errcode`). */
  get errcode(): number | undefined {
    return this.future.peek()?.returncode;
  }

  /** Seconds from the task's start to its end once it is over; 0 before that, or if it never ran. */
  get runtime(): number {
    const r = this.future.peek();
    return r === undefined || r.tRun === undefined ? 0 : Math.max(0, r.tCleanup - r.tRun);
  }

  /** Whether {@link kill} was called on the task. */
  get killed(): boolean {
    return this.#killed;
  }

  /** The task's state now; never waits (libEnsemble's `task.poll()` + `task.state`). */
  poll(): AppTaskState {
    const f = this.future;
    if (f.id === undefined) return 'FAILED_TO_START';
    if (!f.done()) return f.state === 'RUN' || f.state === 'CLEANUP' ? 'RUNNING' : 'WAITING';
    const r = f.peek()!;
    if (this.#killed || r.result === 'CANCELED') return 'USER_KILLED';
    if (r.result === 'COMPLETED') return 'FINISHED';
    if (r.tRun === undefined || r.exception?.type === 'exec') return 'FAILED_TO_START';
    return 'FAILED';
  }

  /**
   * Ends the task: SIGTERM, then SIGKILL after `waitTime` ms if it still runs (`0`: SIGKILL at
   * once). A task the executor does not know as running yet ({@link poll} is `WAITING`; a batch
   * backend learns of the start at its next poll) is canceled instead: a pending job never starts,
   * and one that did is ended the backend's way (Slurm: SIGTERM, SIGKILL after `KillWait`).
   * Resolves to its result once it is over.
   * Calling it again while a kill is under way returns the same promise; on a task that is over
   * it resolves at once (and changes nothing).
   *
   * @throws {@link InvalidArgumentError} for a negative or non-finite `waitTime`.
   */
  kill(options: KillOptions = {}): Promise<JobResult> {
    const waitTime = options.waitTime ?? DEFAULT_KILL_WAIT_MS;
    if (!(waitTime >= 0) || !Number.isFinite(waitTime)) throw new InvalidArgumentError('waitTime', `must be a non-negative number of ms (got ${String(waitTime)})`);
    if (this.future.done()) return this.ended(); // over, or rejected at submit (rejects with why)
    if (this.#killing !== undefined) return this.#killing;
    this.#killed = true;
    this.#killing = this.#kill(waitTime);
    return this.#killing;
  }

  async #kill(waitTime: number): Promise<JobResult> {
    const f = this.future;
    const id = f.id!;
    const signal = (sig: NodeJS.Signals): void => {
      // no process (yet): cancel, which also ends a job that starts meanwhile
      if (!f.done() && !this.#executor.kill(id, sig)) f.cancel(`killed by the app registry (${sig})`);
    };
    if (waitTime === 0) {
      signal('SIGKILL');
      return this.ended();
    }
    signal('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), waitTime)));
    try {
      if ((await Promise.race([this.ended(), grace])) === 'late') signal('SIGKILL');
    } finally {
      clearTimeout(timer);
    }
    return this.ended();
  }

  /**
   * Resolves to the job's result once it is over, whatever it is (also with the executor's
   * `rejectOnFailure`); rejects only if the submission was rejected (with why).
   */
  ended(): Promise<JobResult> {
    return this.future.result().catch((error: unknown) => {
      const r = this.future.peek();
      if (r === undefined) throw error;
      return r;
    });
  }

  /** Whether the task's stdout file exists (libEnsemble's `stdout_exists()`). */
  stdoutExists(): boolean {
    const p = this.stdoutPath;
    return p !== undefined && existsSync(p);
  }

  /** Whether the task's stderr file exists. */
  stderrExists(): boolean {
    const p = this.stderrPath;
    return p !== undefined && existsSync(p);
  }

  /** The task's stdout so far (UTF-8); rejects with `OutputUnavailableError` if there is none (yet). */
  readStdout(): Promise<string> {
    return this.future.readStdout();
  }

  /** The task's stderr so far (UTF-8); rejects with `OutputUnavailableError` if there is none (yet). */
  readStderr(): Promise<string> {
    return this.future.readStderr();
  }

  /**
   * Reads a file of the task's working directory (UTF-8), libEnsemble's `read_file_in_workdir`.
   *
   * @throws {@link InvalidArgumentError} (`name`) for a name that leads outside the working directory.
   */
  readFileInWorkdir(name: string): Promise<string> {
    return readFile(this.workdirFile(name), 'utf8');
  }

  /** Absolute path of `name` in the task's working directory. @throws {@link InvalidArgumentError} if it leads outside. */
  workdirFile(name: string): string {
    const file = path.resolve(this.workdir, name);
    const rel = path.relative(this.workdir, file);
    if (typeof name !== 'string' || name === '' || rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
      throw new InvalidArgumentError('name', `must name a file inside the task's workdir ${this.workdir} (got ${JSON.stringify(name)})`);
    }
    return file;
  }

  /** Promise interop: the job's result (as `await task.future`). */
  then<A = JobResult, B = never>(onFulfilled?: ((value: JobResult) => A | PromiseLike<A>) | null, onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.future.then(onFulfilled, onRejected);
  }
}
