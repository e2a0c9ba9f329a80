/**
 * The folders of an inbox watcher's root, the helper files it writes in each job folder, and the
 * watcher's own state folder (its job store, the backends' files, its lock).
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { JobfuturesError } from '../../util/errors.js';
import { JOB_ID_FILE } from '../files.js';

/** The three folders a job folder goes through, in order. */
export const WATCH_FOLDERS = ['inbox', 'pending', 'complete'] as const;

/** One of {@link WATCH_FOLDERS}. */
export type WatchFolder = (typeof WATCH_FOLDERS)[number];

/** The script a job folder must hold to be submitted (run as `bash job.sh` in the folder). */
export const JOB_SCRIPT = 'job.sh';

/** The helper files the watcher writes in a job folder. */
export const HELPER_FILES = {
  /** The job's id (F58), written before the job is stored, so that a restarted watcher finds it. */
  jobid: JOB_ID_FILE,
  /** How it ended: `RESULT RETURNCODE`, then `native NATIVE_ID` when it had one. */
  status: 'job_status.txt',
  /** Why it failed (or was refused by the scheduler), for a job that did not complete. */
  error: 'job_error.txt',
  /** Its stdout and stderr, on a backend that runs jobs itself (local). */
  output: 'job_output.txt',
} as const;

/**
 * Stdout and stderr of a job, on a backend that hands jobs to a scheduler: the scheduler writes
 * them itself into the folder, one pair per job (`{{id}}` is the job's id).
 */
export const SCHEDULER_OUTPUT = { stdout: 'job.{{id}}.out', stderr: 'job.{{id}}.err' } as const;

/** The watcher's own folder in the root: its job store, the backends' files and its lock. */
export const STATE_DIR = '.jobf';

/** The paths of a watcher root. */
export interface WatchRootPaths {
  /** The root (absolute). */
  readonly root: string;
  /** Where users drop job folders. */
  readonly inbox: string;
  /** The folders whose job was submitted and has not ended. */
  readonly pending: string;
  /** The folders whose job ended. */
  readonly complete: string;
  /** The job store of the watcher's jobs. */
  readonly store: string;
  /** The backends' per-job files (status files, scripts). */
  readonly logDir: string;
  /** The lock that keeps a second watcher off the root. */
  readonly lock: string;
}

/** The paths of the root `root`. */
export function watchRootPaths(root: string): WatchRootPaths {
  const abs = resolve(root);
  const state = join(abs, STATE_DIR);
  return {
    root: abs,
    inbox: join(abs, 'inbox'),
    pending: join(abs, 'pending'),
    complete: join(abs, 'complete'),
    store: join(state, 'jobs.db'),
    logDir: join(state, 'logs'),
    lock: join(state, 'watcher.lock'),
  };
}

/** The root has not been set up (`jobf watch --root DIR --setup`). Exit code 2. */
export class WatchRootError extends JobfuturesError {
  /** The root. */
  readonly root: string;

  constructor(root: string, what: string) {
    super('ERR_WATCH_ROOT', `${root}: ${what}`);
    this.root = root;
  }
}

/** Creates the root's `inbox/`, `pending/` and `complete/` (and its state folder); idempotent. */
export function setupWatchRoot(root: string): WatchRootPaths {
  const paths = watchRootPaths(root);
  for (const folder of WATCH_FOLDERS) mkdirSync(paths[folder], { recursive: true });
  mkdirSync(paths.logDir, { recursive: true });
  return paths;
}

/**
 * The paths of a root that was set up.
 *
 * @throws {@link WatchRootError} when one of its folders is missing.
 */
export function requireWatchRoot(root: string): WatchRootPaths {
  const paths = watchRootPaths(root);
  for (const folder of WATCH_FOLDERS) {
    if (!existsSync(paths[folder]) || !statSync(paths[folder]).isDirectory()) {
      throw new WatchRootError(paths.root, `has no ${folder}/ folder (set it up first: jobf watch --root ${root} --setup)`);
    }
  }
  mkdirSync(paths.logDir, { recursive: true });
  return paths;
}
