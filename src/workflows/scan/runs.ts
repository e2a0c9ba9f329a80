/**
 * Rebuilding a scan's points from their files alone (as jetto_tools' `Job(rundir)` and
 * `retrieve_jobs(dir)`): no store, no executor, no process of the one that submitted them.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

import type { JobID } from '../../ids/index.js';
import { JOB_RESULTS } from '../../core/lifecycle.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { parseJobIdText, readJobIdFile, readTextIfExists, type JobEndRecord } from '../files.js';
import { POINT_FILES } from './files.js';
import { isPointName, type ScanPointParams } from './points.js';

/** SUCCESSFUL (the job COMPLETED), FAILED (it ended otherwise), UNKNOWN (not ended, or never ran). */
export type RunStatus = 'SUCCESSFUL' | 'FAILED' | 'UNKNOWN';

/** One point of a scan, as its files tell it. */
export interface ScanRun {
  /** Its folder name (`point_000`…). */
  readonly name: string;
  /** Its folder (absolute). */
  readonly dir: string;
  /** Its parameters (`{}` if `params.json` is missing or unreadable). */
  readonly params: ScanPointParams;
  /** Its job's id, once it was submitted. */
  readonly jobid?: JobID;
  /** SUCCESSFUL / FAILED / UNKNOWN. */
  readonly status: RunStatus;
  /** How the job ended, when its status file says. */
  readonly end?: JobEndRecord;
  /** Its result, when its status file says (`end.result`). */
  readonly result?: JobEndRecord['result'];
  /** Its exit code, when its status file says (`end.returncode`). */
  readonly returncode?: number;
  /** Why the job got no id, when it could not be submitted. */
  readonly error?: string;
}

function readJson(path: string): unknown {
  const text = readTextIfExists(path);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function endRecordOf(value: unknown): JobEndRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Partial<JobEndRecord>;
  if (typeof r.jobid !== 'string' || typeof r.returncode !== 'number' || !(JOB_RESULTS as readonly unknown[]).includes(r.result)) return undefined;
  return r as JobEndRecord;
}

/**
 * One point rebuilt from its folder: parameters, job id, status, result and returncode.
 * A point whose job has not ended (or whose submitter died before it could write the status)
 * is UNKNOWN.
 */
export function loadRun(dir: string): ScanRun {
  const abs = resolve(dir);
  const paramsValue = readJson(join(abs, POINT_FILES.params));
  const params = typeof paramsValue === 'object' && paramsValue !== null && !Array.isArray(paramsValue) ? (paramsValue as ScanPointParams) : {};
  const jobid = readJobIdFile(abs);
  const end = endRecordOf(readJson(join(abs, POINT_FILES.status)));
  const error = readTextIfExists(join(abs, POINT_FILES.error))?.trim();
  const status: RunStatus = end === undefined ? 'UNKNOWN' : end.result === 'COMPLETED' ? 'SUCCESSFUL' : 'FAILED';
  return {
    name: basename(abs),
    dir: abs,
    params,
    ...((jobid ?? (end && parseJobIdText(end.jobid))) && { jobid: jobid ?? parseJobIdText(end!.jobid)! }),
    status,
    ...(end && { end, result: end.result, returncode: end.returncode }),
    ...(error !== undefined && { error }),
  };
}

/**
 * Every point of a scan (the `point_*` folders of `root`, in order), rebuilt from its files.
 *
 * @throws {@link InvalidArgumentError} (`root`) when `root` is not a folder.
 */
export function loadRuns(root: string): ScanRun[] {
  const abs = resolve(root);
  let names: string[];
  try {
    if (!statSync(abs).isDirectory()) throw new Error('not a folder');
    names = readdirSync(abs);
  } catch {
    throw new InvalidArgumentError('root', `${abs} is not a folder`);
  }
  return names
    .filter((n) => isPointName(n))
    .sort((a, b) => a.length - b.length || (a < b ? -1 : 1))
    .map((n) => loadRun(join(abs, n)));
}
