/**
 * The inbox watcher (from Odyssey's `job_manager`): folders dropped into `inbox/` that hold a
 * `job.sh` are submitted in alphabetical order (`bash job.sh`, run in the folder), moved to
 * `pending/` while their job runs and to `complete/` when it ends, with helper files beside the
 * user's own (see {@link HELPER_FILES}).
 *
 * The folders are the state, so the watcher can be killed at any moment (even `kill -9`) and
 * restarted: a folder is first moved to `pending/`, then its job id is written there, then the job
 * is written to the root's job store (`.jobf/jobs.db`, through {@link enqueue}) and handed to the
 * backend. A restarted watcher follows every folder of `pending/` by its recorded id (the store
 * knows the job, and the executor's take-over follows jobs whose owner died): a folder with no id
 * yet, or whose id the store does not know, never reached a backend and is submitted then. So no
 * job is lost and none is submitted twice.
 */
import { renameSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

import { backendPlugin, DEFAULT_BACKEND } from '../../backends/registry.js';
import { enqueue } from '../../durable/enqueue.js';
import { JobExecutor, type JobExecutorOptions } from '../../executor/executor.js';
import type { JobFuture } from '../../executor/future.js';
import { FluidGenerator, type JobID } from '../../ids/index.js';
import { Jobspec } from '../../jobspec/index.js';
import { JobStore } from '../../store/index.js';
import { errorText, InvalidArgumentError } from '../../util/errors.js';
import { epochSeconds } from '../../util/time.js';
import { failureReason, jobEndRecord, readJobIdFile, settledResult, writeFileAtomic, writeJobIdFile } from '../files.js';
import type { WatchEvent, WatchWarningCode } from './events.js';
import { clashOf, clearHelperFiles, hasJobScript, moveWithoutOverwrite, sortedEntries } from './folders.js';
import { HELPER_FILES, JOB_SCRIPT, SCHEDULER_OUTPUT, requireWatchRoot, type WatchRootPaths } from './layout.js';
import { lockWatchRoot } from './lock.js';

/** Options of {@link watchInbox}. */
export interface WatchOptions {
  /** The root, set up by {@link setupWatchRoot} (`jobf watch --root DIR --setup`). */
  readonly root: string;
  /** A backend of the registry (`BACKEND_NAMES`). Default `local`. */
  readonly backend?: string;
  /** That backend's own options (e.g. `partition` for a scheduler). */
  readonly backendOptions?: Readonly<Record<string, unknown>>;
  /** Seconds between two looks at the inbox. Default 5. */
  readonly period?: number;
  /** At most this many jobs at once (folders in `pending/`). Default: the number of CPUs. */
  readonly parallel?: number;
  /** Return once the inbox holds nothing to submit and no job runs. Default false (watch until aborted). */
  readonly exitWhenIdle?: boolean;
  /**
   * Stops the watcher: no new folder is taken from the inbox (the folder being submitted is
   * finished first), the running jobs are waited for and filed in `complete/`, then it returns.
   */
  readonly signal?: AbortSignal;
  /** Called with every {@link WatchEvent}, synchronously. */
  readonly onEvent?: (event: WatchEvent) => void;
}

/** What one run of {@link watchInbox} did. */
export interface WatchSummary {
  /** Folders it submitted. */
  readonly submitted: number;
  /** Folders it filed in `complete/`. */
  readonly completed: number;
  /** Of those, the ones whose job did not complete. */
  readonly failed: number;
}

/**
 * Watches a root's inbox until `signal` aborts (or, with `exitWhenIdle`, until there is nothing
 * left to do). See the module comment for the folder protocol.
 *
 * @throws {@link WatchRootError} for a root that was not set up; {@link WatcherRunningError} when
 *   another watcher runs on it; {@link InvalidArgumentError} for a bad option.
 */
export async function watchInbox(options: WatchOptions): Promise<WatchSummary> {
  const backend = options.backend ?? DEFAULT_BACKEND;
  const plugin = backendPlugin(backend, 'backend');
  const period = options.period ?? 5;
  if (!(period > 0) || !Number.isFinite(period)) throw new InvalidArgumentError('period', `must be a positive number of seconds, got ${String(period)}`);
  const parallel = options.parallel ?? availableParallelism();
  if (!Number.isSafeInteger(parallel) || parallel < 1) throw new InvalidArgumentError('parallel', `must be a positive integer, got ${String(parallel)}`);
  const paths = requireWatchRoot(options.root);
  const release = lockWatchRoot(paths.lock, paths.root);
  try {
    const store = JobStore.open(paths.store);
    try {
      const executorOptions = { ...options.backendOptions, backend, store, logDir: paths.logDir, maxCores: parallel };
      const ex = new JobExecutor(executorOptions as JobExecutorOptions);
      try {
        const output = plugin.submitsAtOnce ? SCHEDULER_OUTPUT : { stdout: HELPER_FILES.output, stderr: HELPER_FILES.output };
        const watcher = new InboxWatcher(paths, store, ex, backend, output, parallel, options);
        return await watcher.run(period);
      } finally {
        await ex.shutdown();
      }
    } finally {
      store.close();
    }
  } finally {
    release();
  }
}

/** One run of the watcher on an open store and executor. */
class InboxWatcher {
  private readonly following = new Set<string>();
  private readonly warned = new Set<string>();
  private readonly ids = new FluidGenerator();
  private wake: (() => void) | undefined;
  private submitted = 0;
  private completed = 0;
  private failed = 0;

  constructor(
    private readonly paths: WatchRootPaths,
    private readonly store: JobStore,
    private readonly ex: JobExecutor,
    private readonly backend: string,
    private readonly output: { readonly stdout: string; readonly stderr: string },
    private readonly parallel: number,
    private readonly options: WatchOptions,
  ) {}

  private emit(event: WatchEvent): void {
    this.options.onEvent?.(event);
  }

  private warnOnce(folder: string, code: WatchWarningCode, message: string): void {
    const key = `${code}\0${folder}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.emit({ type: 'warning', time: epochSeconds(), folder, code, message });
  }

  async run(period: number): Promise<WatchSummary> {
    const signal = this.options.signal;
    this.emit({ type: 'start', time: epochSeconds(), root: this.paths.root, backend: this.backend, parallel: this.parallel, period });
    let stopping = false;
    for (;;) {
      if (!stopping && signal?.aborted) {
        stopping = true;
        this.emit({ type: 'stopping', time: epochSeconds(), running: this.following.size });
      }
      if (!stopping) this.followPending();
      const waiting = stopping ? 0 : this.submitFromInbox();
      this.emit({ type: 'check', time: epochSeconds(), inbox: waiting, running: this.following.size });
      if (this.following.size === 0 && (stopping || (this.options.exitWhenIdle && waiting === 0))) break;
      await this.sleep(period * 1000, stopping ? undefined : signal);
    }
    const summary = { submitted: this.submitted, completed: this.completed, failed: this.failed };
    this.emit({ type: 'stop', time: epochSeconds(), submitted: summary.submitted, completed: summary.completed });
    return summary;
  }

  /** Sleeps `ms`, or less when a job ends or `signal` aborts. */
  private sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }

  /** Follows every folder of `pending/` not followed yet (after a restart: all of them), in order. */
  private followPending(): void {
    for (const entry of sortedEntries(this.paths.pending)) {
      if (!entry.isFolder || this.following.has(entry.name)) continue;
      this.start(entry.name);
    }
  }

  /**
   * Submits inbox folders, in order, while fewer than `parallel` jobs run. Returns how many
   * submittable folders wait in the inbox after that.
   */
  private submitFromInbox(): number {
    let waiting = 0;
    for (const entry of sortedEntries(this.paths.inbox)) {
      const dir = join(this.paths.inbox, entry.name);
      if (!entry.isFolder) {
        this.warnOnce(entry.name, 'not-a-folder', `inbox/${entry.name} is not a folder: left alone`);
        continue;
      }
      if (!hasJobScript(dir)) {
        this.warnOnce(entry.name, 'no-job-script', `inbox/${entry.name} has no ${JOB_SCRIPT}: left alone until it has one`);
        continue;
      }
      const clash = clashOf(this.paths, entry.name);
      if (clash !== undefined) {
        this.warnOnce(entry.name, 'name-clash', `${clash}/${entry.name} exists already: inbox/${entry.name} is left in the inbox (rename it)`);
        continue;
      }
      if (this.following.size >= this.parallel) {
        waiting++;
        continue;
      }
      try {
        clearHelperFiles(dir);
        renameSync(dir, join(this.paths.pending, entry.name));
      } catch (error) {
        this.warnOnce(entry.name, 'error', `inbox/${entry.name} could not be moved to pending/: ${errorText(error)}`);
        continue;
      }
      this.start(entry.name);
    }
    return waiting;
  }

  /**
   * Makes sure the job of `pending/<name>` exists and follows it: records an id if the folder has
   * none, stores and submits the job if the store does not know that id, and waits for its end.
   */
  private start(name: string): void {
    const dir = join(this.paths.pending, name);
    let future: JobFuture;
    let jobid: JobID;
    let fresh = false;
    try {
      const recorded = readJobIdFile(dir);
      jobid = recorded ?? this.ids.next();
      // The id is on disk before the job is stored: a restart finds the job by it, or stores it then.
      if (recorded === undefined) writeJobIdFile(dir, jobid);
      const stored = this.store.get(jobid);
      if (stored === undefined) {
        const spec = Jobspec.fromCommand(['bash', JOB_SCRIPT], {
          cwd: dir,
          name,
          output: join(dir, this.output.stdout),
          error: join(dir, this.output.stderr),
        });
        enqueue(this.store, [{ jobid, spec, backend: this.backend, logDir: this.paths.logDir, submittedAt: epochSeconds() }]);
        fresh = true;
      } else if (stored.backend !== this.backend) {
        this.warnOnce(name, 'other-backend', `pending/${name} is job ${jobid.f58} of the ${stored.backend} backend: watch with --backend ${stored.backend} to follow it`);
        return;
      }
      future = this.ex.runQueued([jobid])[0] ?? this.ex.attach(jobid);
    } catch (error) {
      this.warnOnce(name, 'error', `pending/${name}: ${errorText(error)}`);
      return;
    }
    this.following.add(name);
    if (fresh) this.submitted++;
    this.emit({ type: fresh ? 'submit' : 'follow', time: epochSeconds(), folder: name, jobid: jobid.f58 });
    void this.finish(name, dir, future);
  }

  /** Once the job ended: its status (and error) files, then the move to `complete/`. */
  private async finish(name: string, dir: string, future: JobFuture): Promise<void> {
    try {
      const end = jobEndRecord(await settledResult(future));
      writeFileAtomic(join(dir, HELPER_FILES.status), `${end.result} ${end.returncode}\n` + (end.nativeId === undefined ? '' : `native ${end.nativeId}\n`));
      const error = end.result === 'COMPLETED' ? undefined : failureReason(end);
      if (error !== undefined) writeFileAtomic(join(dir, HELPER_FILES.error), error + '\n');
      const movedTo = moveWithoutOverwrite(dir, this.paths.complete, name);
      if (movedTo !== name) this.warnOnce(name, 'name-clash', `complete/${name} exists already: filed as complete/${movedTo}`);
      this.completed++;
      if (error !== undefined) this.failed++;
      this.emit({
        type: 'complete',
        time: epochSeconds(),
        folder: name,
        jobid: end.jobid,
        result: end.result,
        returncode: end.returncode,
        movedTo,
        ...(error !== undefined && { error }),
      });
    } catch (error) {
      this.warnOnce(name, 'error', `pending/${name} could not be filed: ${errorText(error)} (retried at the next check)`);
    } finally {
      this.following.delete(name);
      this.wake?.();
    }
  }
}
