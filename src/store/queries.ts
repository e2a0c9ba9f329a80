/**
 * The store's reads: one job, its events, the jobs waiting for it, the jobs that match a filter
 * (with their dependencies) and the count per state.
 */
import { UnknownJobError } from '../core/errors.js';
import { JOB_STATES } from '../core/lifecycle.js';
import type { JobID } from '../ids/index.js';
import { InvalidArgumentError } from '../util/errors.js';
import { eventOf, fromKey, keyF58, recordOf, toKey, type DependencyRow, type EventRow, type JobRow } from './records.js';
import type { StoreStatements } from './statements.js';
import type { JobFilter, JobRecord, StoredEvent } from './types.js';

function asList<T>(v: T | readonly T[] | undefined): readonly T[] | undefined {
  if (v === undefined) return undefined;
  return Array.isArray(v) ? (v as readonly T[]) : [v as T];
}

/** The `jobs` row of the job keyed `key`, if it is in the store. */
export function jobRow(s: StoreStatements, key: string): JobRow | undefined {
  return s.sql('SELECT * FROM jobs WHERE jobid = ?').get(key) as JobRow | undefined;
}

/** Whether the job keyed `key` is in the store. */
export function jobExists(s: StoreStatements, key: string): boolean {
  return s.sql('SELECT 1 FROM jobs WHERE jobid = ?').get(key) !== undefined;
}

/** The `jobs` row of the job keyed `key`. @throws {@link UnknownJobError} if it is not in the store. */
export function jobRowOrThrow(s: StoreStatements, key: string): JobRow {
  const row = jobRow(s, key);
  if (row === undefined) throw new UnknownJobError(keyF58(key));
  return row;
}

/** The job keyed `key` with its dependencies (one snapshot), if it is in the store. */
export function getJob(s: StoreStatements, key: string): JobRecord | undefined {
  return s.snapshot(() => {
    const row = jobRow(s, key);
    if (row === undefined) return undefined;
    const deps = s.sql('SELECT * FROM dependencies WHERE jobid = ? ORDER BY rowid').all(key) as DependencyRow[];
    return recordOf(row, deps);
  });
}

/** The events of the job keyed `key` with seq greater than `afterSeq`, oldest first. */
export function jobEvents(s: StoreStatements, key: string, afterSeq: number): StoredEvent[] {
  const rows = s
    .sql('SELECT seq, attempt, name, timestamp, context FROM events WHERE jobid = ? AND seq > ? ORDER BY seq')
    .all(key, afterSeq) as EventRow[];
  return rows.map(eventOf);
}

/** The jobs whose dependency rows name the job keyed `key`, in insertion order. */
export function dependentsOf(s: StoreStatements, key: string): JobID[] {
  const keys = s
    .sql(`SELECT d.jobid FROM dependencies d JOIN jobs j ON j.jobid = d.jobid WHERE d.depends_on = ? ORDER BY j.id`)
    .pluck()
    .all(key) as string[];
  return keys.map(fromKey);
}

/**
 * The jobs that match `filter`, in submission order, with their dependencies (one snapshot).
 *
 * @throws {@link InvalidArgumentError} for an unknown state in the filter.
 */
export function listJobs(s: StoreStatements, filter: JobFilter): JobRecord[] {
  const clauses: string[] = [];
  const params: Record<string, unknown> = {};
  const inList = (column: string, values: readonly unknown[] | undefined): void => {
    if (values === undefined) return;
    clauses.push(`${column} IN (SELECT value FROM json_each(@${column}))`);
    params[column] = JSON.stringify(values);
  };
  const states = asList(filter.state);
  if (states) {
    for (const st of states) {
      if (!JOB_STATES.includes(st)) throw new InvalidArgumentError('filter.state', `unknown state ${String(st)}`);
    }
  }
  inList('state', states);
  inList('result', asList(filter.result));
  inList('name', asList(filter.name));
  inList('backend', asList(filter.backend));
  inList('jobid', filter.ids?.map(toKey));
  if (filter.arrayId !== undefined) {
    clauses.push('array_id = @array_id');
    params['array_id'] = toKey(filter.arrayId);
  }
  return s.snapshot(() => listWhere(s, clauses.length === 0 ? '1' : clauses.join(' AND '), params));
}

/** The jobs whose rows match the SQL condition `where` (bound to `params`), with their dependencies. */
export function listWhere(s: StoreStatements, where: string, params: Record<string, unknown>): JobRecord[] {
  const rows = s.sql(`SELECT * FROM jobs WHERE ${where} ORDER BY id`).all(params) as JobRow[];
  if (rows.length === 0) return [];
  const deps = s
    .sql(`SELECT * FROM dependencies WHERE jobid IN (SELECT jobid FROM jobs WHERE ${where}) ORDER BY rowid`)
    .all(params) as DependencyRow[];
  const byJob = new Map<string, DependencyRow[]>();
  for (const d of deps) {
    const list = byJob.get(d.jobid);
    if (list) list.push(d);
    else byJob.set(d.jobid, [d]);
  }
  return rows.map((row) => recordOf(row, byJob.get(row.jobid) ?? []));
}

/** How many jobs there are in each state. */
export function countByState(s: StoreStatements): Record<string, number> {
  const rows = s.sql('SELECT state, count(*) AS n FROM jobs GROUP BY state').all() as { state: string; n: number }[];
  const out: Record<string, number> = {};
  for (const r of rows) out[r.state] = r.n;
  return out;
}
