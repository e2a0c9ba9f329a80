/** What an inbox watcher reports, one event at a time (`jobf watch --json` prints them as lines). */
import type { JobResultName } from '../../core/types.js';

/** Why a folder is left where it is (each is reported once per folder and watcher run). */
export type WatchWarningCode =
  /** A folder in `inbox/` has no `job.sh` (yet). */
  | 'no-job-script'
  /** A folder of that name is in `pending/` or `complete/` already: the inbox one waits. */
  | 'name-clash'
  /** A folder's job was stored for another backend than this watcher's. */
  | 'other-backend'
  /** Something in `inbox/` that is not a folder. */
  | 'not-a-folder'
  /** Taking a folder or its job failed (e.g. a file system error); retried at the next check. */
  | 'error';

/** One event of a watcher; `time` is when it happened (float seconds since the epoch). */
export type WatchEvent =
  | { readonly type: 'start'; readonly time: number; readonly root: string; readonly backend: string; readonly parallel: number; readonly period: number }
  /** One look at the inbox (the heartbeat). */
  | { readonly type: 'check'; readonly time: number; readonly inbox: number; readonly running: number }
  /** A folder went from `inbox/` to `pending/` and its job was submitted. */
  | { readonly type: 'submit'; readonly time: number; readonly folder: string; readonly jobid: string }
  /** A folder found in `pending/` at start (a previous watcher's) is followed, not resubmitted. */
  | { readonly type: 'follow'; readonly time: number; readonly folder: string; readonly jobid: string }
  /** A job ended and its folder went to `complete/` (as `movedTo`, a new name on a clash). */
  | {
      readonly type: 'complete';
      readonly time: number;
      readonly folder: string;
      readonly jobid: string;
      readonly result: JobResultName;
      readonly returncode: number;
      readonly movedTo: string;
      readonly error?: string;
    }
  | { readonly type: 'warning'; readonly time: number; readonly folder: string; readonly code: WatchWarningCode; readonly message: string }
  /** Asked to stop: no new folder is taken; the running jobs are waited for. */
  | { readonly type: 'stopping'; readonly time: number; readonly running: number }
  | { readonly type: 'stop'; readonly time: number; readonly submitted: number; readonly completed: number };
