/**
 * File helpers the workflows share: atomic writes (a reader never sees half a file, a crash leaves
 * the old file or the new one), the job id file and the record of a finished job they write
 * beside it.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

import type { JobResult, JobResultName } from '../core/types.js';
import { JobFailedError } from '../executor/errors.js';
import { JobID } from '../ids/index.js';

/** Writes `text` to `path` through a temporary file and a rename. */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** The text of `path`, or undefined when it does not exist (or cannot be read). */
export function readTextIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The file in a job's folder that holds its id (F58), written once the id is known. */
export const JOB_ID_FILE = 'job_id.txt';

/** The job id in `text` (surrounding white space ignored), or undefined when it holds none. */
export function parseJobIdText(text: string | undefined): JobID | undefined {
  const trimmed = text?.trim();
  if (!trimmed) return undefined;
  try {
    return JobID.parse(trimmed);
  } catch {
    return undefined;
  }
}

/** The job id the folder `dir` records in its {@link JOB_ID_FILE}, if it has a readable one. */
export function readJobIdFile(dir: string): JobID | undefined {
  return parseJobIdText(readTextIfExists(join(dir, JOB_ID_FILE)));
}

/** Records `id` in the {@link JOB_ID_FILE} of the folder `dir` (atomically). */
export function writeJobIdFile(dir: string, id: JobID): void {
  writeFileAtomic(join(dir, JOB_ID_FILE), id.f58 + '\n');
}

/** A finished job as the workflows record it in its folder (JSON; times in float seconds). */
export interface JobEndRecord {
  /** The job's id, F58. */
  readonly jobid: string;
  /** The backend's own id, if it got one. */
  readonly nativeId?: string;
  /** COMPLETED, FAILED, CANCELED or TIMEOUT. */
  readonly result: JobResultName;
  /** The exit code (see {@link JobResult.returncode}). */
  readonly returncode: number;
  /** The fatal exception's type and note, if one ended the job. */
  readonly exception?: { readonly type: string; readonly note: string };
  /** Submit time. */
  readonly tSubmit: number;
  /** Start time, if it started. */
  readonly tRun?: number;
  /** Clean time (it became inactive). */
  readonly tCleanup: number;
}

/** The {@link JobEndRecord} of a result. */
export function jobEndRecord(r: JobResult): JobEndRecord {
  return {
    jobid: r.jobid.f58,
    ...(r.nativeId !== undefined && { nativeId: r.nativeId }),
    result: r.result,
    returncode: r.returncode,
    ...(r.exception && { exception: { type: r.exception.type, note: r.exception.note } }),
    tSubmit: r.tSubmit,
    ...(r.tRun !== undefined && { tRun: r.tRun }),
    tCleanup: r.tCleanup,
  };
}

/** Why a job did not complete, in one line (its exception, else its result and exit code). */
export function failureReason(r: JobEndRecord): string {
  if (r.exception) return `${r.result}: ${r.exception.type}: ${r.exception.note}`;
  return `${r.result}: exit code ${r.returncode}`;
}

/**
 * The result of a job, whatever `rejectOnFailure` says (a {@link JobFailedError} gives its result);
 * rejects only when the job never got an id.
 */
export function settledResult(future: PromiseLike<JobResult>): Promise<JobResult> {
  return Promise.resolve(future).catch((error: unknown) => {
    if (error instanceof JobFailedError) return error.result;
    throw error;
  });
}
