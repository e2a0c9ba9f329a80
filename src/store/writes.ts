/**
 * The store's writes: inserting jobs (with their dependencies and first events), appending
 * events (the derived state follows in the same statement batch), native ids, requeueing and
 * deleting. Callers run them inside a {@link StoreStatements.transaction}.
 */
import { UnknownJobError } from '../core/errors.js';
import { DEPENDENCY_KINDS, checkUrgency } from '../core/lifecycle.js';
import { InvalidArgumentError } from '../util/errors.js';
import { applyEvent, initialState, type DerivedState } from './derive.js';
import { DuplicateJobError } from './errors.js';
import { encodeOwner } from './owner.js';
import { jobExists, jobRowOrThrow } from './queries.js';
import { derivedOf, keyF58, toKey, type DerivedRow } from './records.js';
import type { StoreStatements } from './statements.js';
import { epochSeconds } from '../util/time.js';
import type { NewEvent, NewJob } from './types.js';

/** Values bound to the columns that {@link applyEvent} derives. */
function derivedParams(d: DerivedState): unknown[] {
  return [
    d.state,
    d.result ?? null,
    d.returncode ?? null,
    d.waitstatus ?? null,
    d.exception?.type ?? null,
    d.exception?.severity ?? null,
    d.exception?.note ?? null,
    d.urgency,
    d.tRun ?? null,
    d.tCleanup ?? null,
  ];
}

/**
 * Checks an event's name and timestamp and returns its context as stored (JSON, or null).
 *
 * @throws {@link InvalidArgumentError} naming `where` for a malformed field.
 */
export function checkEvent(ev: NewEvent, where: string): string | null {
  if (typeof ev.name !== 'string' || ev.name === '') {
    throw new InvalidArgumentError(`${where}.name`, 'must be a non-empty string');
  }
  if (typeof ev.timestamp !== 'number' || !Number.isFinite(ev.timestamp)) {
    throw new InvalidArgumentError(`${where}.timestamp`, `must be a finite number, got ${String(ev.timestamp)}`);
  }
  return ev.context === undefined ? null : JSON.stringify(ev.context);
}

/**
 * Inserts one job with its dependencies and first events (`where` names it in errors).
 *
 * @throws {@link DuplicateJobError}, {@link UnknownJobError} (a dependency),
 *   {@link InvalidArgumentError} (a malformed field).
 */
export function insertJob(s: StoreStatements, job: NewJob, where: string): void {
  const key = toKey(job.jobid);
  if (typeof job.name !== 'string') throw new InvalidArgumentError(`${where}.name`, 'must be a string');
  if (typeof job.backend !== 'string' || job.backend === '') {
    throw new InvalidArgumentError(`${where}.backend`, 'must be a non-empty string');
  }
  const urgency = checkUrgency(job.urgency, `${where}.urgency`);
  if (job.arrayIndex !== undefined && !Number.isSafeInteger(job.arrayIndex)) {
    throw new InvalidArgumentError(`${where}.arrayIndex`, `must be an integer, got ${String(job.arrayIndex)}`);
  }
  const spec = JSON.stringify(job.spec);
  if (typeof spec !== 'string' || typeof job.spec !== 'object' || job.spec === null) {
    throw new InvalidArgumentError(`${where}.spec`, 'must be a JSON-serializable object');
  }
  const events = job.events ?? [];
  const contexts = events.map((ev, i) => checkEvent(ev, `${where}.events[${i}]`));

  if (jobExists(s, key)) throw new DuplicateJobError(keyF58(key));
  const deps = job.dependencies ?? [];
  for (const dep of deps) {
    const depKey = toKey(dep.jobid);
    if (!DEPENDENCY_KINDS.includes(dep.kind)) {
      throw new InvalidArgumentError(`${where}.dependencies`, `kind must be afterok or afterany, got ${String(dep.kind)}`);
    }
    if (!jobExists(s, depKey)) {
      throw new UnknownJobError(keyF58(depKey), `(dependency of ${keyF58(key)})`);
    }
  }

  // As in appendEvent: a `submit` after the first event starts a new attempt.
  let d = initialState(urgency);
  let attempt = 1;
  let attemptSeq = 1;
  const attempts = events.map((ev, i) => {
    if (ev.name === 'submit' && i > 0) {
      attempt++;
      attemptSeq = i + 1;
    }
    d = applyEvent(d, ev);
    return attempt;
  });
  const t = epochSeconds();
  s.sql(
    `INSERT INTO jobs (jobid, name, backend, spec, state, result, returncode, waitstatus,
       exception_type, exception_severity, exception_note, urgency, t_run, t_cleanup,
       native_id, stdout, stderr, log_dir, cwd, array_id, array_index, owner,
       attempt, attempt_seq, last_seq, submitted_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    key,
    job.name,
    job.backend,
    spec,
    ...derivedParams(d),
    job.nativeId ?? null,
    job.stdout ?? null,
    job.stderr ?? null,
    job.logDir ?? null,
    job.cwd ?? null,
    job.arrayId === undefined ? null : toKey(job.arrayId),
    job.arrayIndex ?? null,
    job.owner ? encodeOwner(job.owner) : null,
    attempt,
    attemptSeq,
    events.length,
    job.submittedAt ?? events[0]?.timestamp ?? t,
    t,
  );
  const insertDep = s.sql('INSERT OR REPLACE INTO dependencies (jobid, depends_on, kind) VALUES (?, ?, ?)');
  for (const dep of deps) insertDep.run(key, toKey(dep.jobid), dep.kind);
  const insertEvent = s.sql('INSERT INTO events (jobid, seq, attempt, name, timestamp, context) VALUES (?, ?, ?, ?, ?, ?)');
  events.forEach((ev, i) => insertEvent.run(key, i + 1, attempts[i], ev.name, ev.timestamp, contexts[i]));
}

/**
 * Appends one event (its context `ctx` as {@link checkEvent} returned it) to the job keyed `key`
 * and updates the job's derived state; a `submit` on a job that has events starts a new attempt.
 *
 * @returns The event's seq.
 * @throws {@link UnknownJobError} if the job is not in the store.
 */
export function appendEvent(s: StoreStatements, key: string, ev: NewEvent, ctx: string | null): number {
  // Only the derived columns: the spec can be kilobytes and is not needed here.
  const row = s
    .sql(
      `SELECT state, result, returncode, waitstatus, exception_type, exception_severity, exception_note,
         urgency, t_run, t_cleanup, last_seq, attempt, attempt_seq FROM jobs WHERE jobid = ?`,
    )
    .get(key) as DerivedRow | undefined;
  if (row === undefined) throw new UnknownJobError(keyF58(key));
  const seq = row.last_seq + 1;
  let attempt = row.attempt;
  let attemptSeq = row.attempt_seq;
  if (ev.name === 'submit' && row.last_seq > 0) {
    attempt++;
    attemptSeq = seq;
  }
  const d = applyEvent(derivedOf(row), ev);
  s.sql('INSERT INTO events (jobid, seq, attempt, name, timestamp, context) VALUES (?, ?, ?, ?, ?, ?)').run(
    key,
    seq,
    attempt,
    ev.name,
    ev.timestamp,
    ctx,
  );
  s.sql(
    `UPDATE jobs SET state = ?, result = ?, returncode = ?, waitstatus = ?, exception_type = ?,
       exception_severity = ?, exception_note = ?, urgency = ?, t_run = ?, t_cleanup = ?,
       last_seq = ?, attempt = ?, attempt_seq = ?, updated_at = ?
     WHERE jobid = ?`,
  ).run(...derivedParams(d), seq, attempt, attemptSeq, epochSeconds(), key);
  return seq;
}

/** Records the backend's id of the job keyed `key`. @throws {@link UnknownJobError} if it is not in the store. */
export function setNativeId(s: StoreStatements, key: string, nativeId: string | null): void {
  const r = s.sql('UPDATE jobs SET native_id = ?, updated_at = ? WHERE jobid = ?').run(nativeId, epochSeconds(), key);
  if (r.changes === 0) throw new UnknownJobError(keyF58(key));
}

/**
 * Starts a new attempt of the job keyed `key`: a `submit` event at `timestamp` with the last
 * submit's context and the job's urgency; its native id and owner are cleared.
 *
 * @throws {@link UnknownJobError} if the job is not in the store.
 */
export function requeueJob(s: StoreStatements, key: string, timestamp: number): void {
  const row = jobRowOrThrow(s, key);
  const last = s
    .sql(`SELECT context FROM events WHERE jobid = ? AND name = 'submit' ORDER BY seq DESC LIMIT 1`)
    .pluck()
    .get(key) as string | null | undefined;
  const context = { ...(last ? (JSON.parse(last) as Record<string, unknown>) : {}), urgency: row.urgency };
  const ev: NewEvent = { name: 'submit', timestamp, context };
  appendEvent(s, key, ev, JSON.stringify(context));
  s.sql('UPDATE jobs SET native_id = NULL, owner = NULL WHERE jobid = ?').run(key);
}

/** Removes the job keyed `key` (its events and own dependency rows go with it); whether it was there. */
export function deleteJob(s: StoreStatements, key: string): boolean {
  return s.sql('DELETE FROM jobs WHERE jobid = ?').run(key).changes > 0;
}
