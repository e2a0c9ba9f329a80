/**
 * Job RPCs of flux-core 0.88 over a {@link FluxConnection}, with the payloads the services unpack
 * (file and function named on each). Job ids are `bigint` (64-bit FLUIDs).
 *
 * @module
 */
import { JOBID_ANY, Urgency } from './constants.js';
import { FluxProtocolError } from './errors.js';
import type { FluxConnection, FluxStream } from './connection.js';
import { parseEventlog, parseEventlogEntry, toEventlogEntry, type EventlogEntry } from './eventlog.js';
import type { JsonObject, JsonValue } from './json.js';
import { signNone } from './sign-none.js';
import { stringifyJson } from './json.js';

/** Options of {@link submitJob}. */
export interface SubmitOptions {
  /** 0 (held) to 31 (expedite); default 16. */
  urgency?: number;
  /** `FLUX_JOB_*` submit flags (WAITABLE 4, NOVALIDATE 8, DEBUG 2); default 0. */
  flags?: number;
  /** uid put in the `none` signature; default `process.getuid()` (job-ingest checks it against the connection's). */
  userid?: number;
}

/** `FLUX_JOB_*` submit flags (`src/common/libjob/job.h`). */
export const SubmitFlag = { DEBUG: 2, WAITABLE: 4, NOVALIDATE: 8 } as const;

/**
 * A job id from a JSON value. Flux packs ids with jansson's `I` (json_int_t, a signed 64-bit), so
 * an id at or above 2^63 arrives negative (FLUX_JOBID_ANY is `-1`): read back as unsigned.
 *
 * @throws {@link FluxProtocolError} if the value is not an integer.
 */
export function toJobId(v: JsonValue | undefined, where: string): bigint {
  if (typeof v === 'bigint') return BigInt.asUintN(64, v);
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt.asUintN(64, BigInt(v));
  throw new FluxProtocolError(where, `expected a job id, got ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`);
}

/** A job id as Flux unpacks it (`I`, signed 64-bit): ids at or above 2^63 are sent negative. */
export function fromJobId(id: bigint): bigint {
  return BigInt.asIntN(64, id);
}

function submitPayload(jobspec: object | string, opts: SubmitOptions): JsonObject {
  const text = typeof jobspec === 'string' ? jobspec : stringifyJson(jobspec);
  return {
    J: signNone(text, opts.userid ?? process.getuid?.() ?? 0),
    urgency: opts.urgency ?? Urgency.DEFAULT,
    flags: opts.flags ?? 0,
  };
}

/**
 * Submits a jobspec: `job-ingest.submit` `{J, urgency, flags}` (flux_job_submit() in
 * `src/common/libjob/submit.c`; unpacked by job_create_from_request() in
 * `src/modules/job-ingest/job.c`), response `{id}`. The id is returned once the job is
 * validated and committed; its `submit` event follows in the journal.
 *
 * @throws {@link FluxRpcError} e.g. EINVAL with job-ingest's message for an invalid jobspec.
 */
export async function submitJob(conn: FluxConnection, jobspec: object | string, opts: SubmitOptions = {}): Promise<bigint> {
  const r = await conn.rpc('job-ingest.submit', submitPayload(jobspec, opts));
  return toJobId(r?.id, 'response to job-ingest.submit');
}

/**
 * Submits many jobspecs pipelined on one connection (all requests written before any response is
 * awaited; job-ingest batches them into few KVS commits). Results are in input order: the id, or
 * the error for that jobspec.
 */
export function submitJobs(conn: FluxConnection, jobspecs: readonly (object | string)[], opts: SubmitOptions = {}): Promise<(bigint | Error)[]> {
  return Promise.all(jobspecs.map((js) => submitJob(conn, js, opts).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))))));
}

/**
 * Raises an exception on a job: `job-manager.raise` `{id, severity, type, note?}` (raise_handle_request()
 * in `src/modules/job-manager/raise.c`), empty response. Severity 0 is fatal (the job ends).
 */
export async function raiseException(conn: FluxConnection, id: bigint, type: string, severity: number, note?: string): Promise<void> {
  const payload: JsonObject = { id: fromJobId(id), severity, type };
  if (note !== undefined) payload.note = note;
  await conn.rpc('job-manager.raise', payload);
}

/**
 * Cancels a job: a severity-0 `cancel` exception (flux_job_cancel() in `src/common/libjob/job.c`).
 * A running job is killed, a pending one never runs; its result is CANCELED.
 */
export function cancelJob(conn: FluxConnection, id: bigint, reason?: string): Promise<void> {
  return raiseException(conn, id, 'cancel', 0, reason);
}

/**
 * Signals a running job's tasks: `job-manager.kill` `{id, signum}` (kill_handle_request() in
 * `src/modules/job-manager/kill.c`), empty response.
 *
 * @throws {@link FluxRpcError} e.g. EINVAL "job is not running".
 */
export async function killJob(conn: FluxConnection, id: bigint, signum = 15): Promise<void> {
  await conn.rpc('job-manager.kill', { id: fromJobId(id), signum });
}

/**
 * Sets a job's urgency: `job-manager.urgency` `{id, urgency}` (urgency_handle_request() in
 * `src/modules/job-manager/urgency.c`), response `{old_urgency}`. 0 holds a pending job, 31 expedites.
 *
 * @returns The previous urgency.
 */
export async function setUrgency(conn: FluxConnection, id: bigint, urgency: number): Promise<number> {
  const r = await conn.rpc('job-manager.urgency', { id: fromJobId(id), urgency });
  return typeof r?.old_urgency === 'number' ? r.old_urgency : -1;
}

/** One response of the events journal: new events of one job. */
export interface JournalEntry {
  id: bigint;
  /** The job's new events, oldest first (the whole eventlog so far for backlog responses). */
  events: EventlogEntry[];
  /** The redacted jobspec, with `submit` events and backlog responses. */
  jobspec?: JsonObject;
  /** The redacted R, with `alloc` events and backlog responses of allocated jobs. */
  R?: JsonObject;
}

/** Options of {@link watchJournal}. */
export interface JournalOptions {
  /** Also send the eventlogs of inactive jobs in the backlog (default: active jobs only). */
  full?: boolean;
  /** Only these event names (an object with the names as keys, e.g. `{finish: 1}`). */
  allow?: Record<string, 1>;
  /** Not these event names. */
  deny?: Record<string, 1>;
}

/**
 * Follows every job's events: streaming `job-manager.events-journal` `{full?, allow?, deny?}`
 * (journal_handle_request() in `src/modules/job-manager/journal.c`). The job-manager first sends
 * the backlog (one response per known job with its eventlog so far), then a marker response with
 * id FLUX_JOBID_ANY and no events (`onBacklogEnd`), then one response `{id, events:[entry], jobspec?|R?}`
 * per new event. Cancel with `job-manager.events-journal-cancel` ({@link FluxStream.cancel}).
 */
export function watchJournal(conn: FluxConnection, opts: JournalOptions, onEntry: (e: JournalEntry) => void, onBacklogEnd?: () => void): FluxStream {
  const payload: JsonObject = {};
  if (opts.full !== undefined) payload.full = opts.full;
  if (opts.allow) payload.allow = opts.allow;
  if (opts.deny) payload.deny = opts.deny;
  const where = 'response to job-manager.events-journal';
  return conn.stream('job-manager.events-journal', payload, (p) => {
    const id = toJobId(p?.id, where);
    if (id === JOBID_ANY) {
      onBacklogEnd?.();
      return;
    }
    const raw = p?.events;
    if (!Array.isArray(raw)) throw new FluxProtocolError(where, 'no events array');
    const entry: JournalEntry = { id, events: raw.map((e) => toEventlogEntry(e, where)) };
    if (isObject(p?.jobspec)) entry.jobspec = p.jobspec;
    if (isObject(p?.R)) entry.R = p.R;
    onEntry(entry);
  });
}

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Flags of {@link watchEventlog} (`FLUX_JOB_EVENT_WATCH_*`). */
export const EventWatchFlag = { WAITCREATE: 1, INITIAL_SENTINEL: 2 } as const;

/**
 * Follows one job's eventlog, e.g. a job submitted elsewhere: streaming `job-info.eventlog-watch`
 * `{id, path, flags}` (flux_job_event_watch() in `src/common/libjob/info.c`; `src/modules/job-info/watch.c`),
 * one response `{event: "<entry as JSON text>"}` per entry, past ones first. The stream ends
 * (ENODATA) after the job's last event (`clean` for the main eventlog). An unknown id ends it with
 * ENOENT. Cancel with `job-info.eventlog-watch-cancel` ({@link FluxStream.cancel}).
 */
export function watchEventlog(conn: FluxConnection, id: bigint, onEvent: (e: EventlogEntry) => void, path = 'eventlog', flags = 0): FluxStream {
  const where = 'response to job-info.eventlog-watch';
  return conn.stream('job-info.eventlog-watch', { id: fromJobId(id), path, flags }, (p) => {
    if (typeof p?.event !== 'string') throw new FluxProtocolError(where, 'no event string');
    onEvent(parseEventlogEntry(p.event, where));
  });
}

/**
 * Reads keys of a job's KVS directory: `job-info.lookup` `{id, keys, flags}` (lookup_cb() in
 * `src/modules/job-info/lookup.c`), response `{id, <key>: value...}`; values are strings unless
 * flag JSON_DECODE (1) is set. Keys: `eventlog`, `jobspec`, `R`, `J`...
 */
export async function lookupJob(conn: FluxConnection, id: bigint, keys: readonly string[], flags = 0): Promise<JsonObject> {
  const r = await conn.rpc('job-info.lookup', { id: fromJobId(id), keys, flags });
  return r ?? {};
}

/** A job's whole main eventlog via {@link lookupJob}. */
export async function readEventlog(conn: FluxConnection, id: bigint): Promise<EventlogEntry[]> {
  const r = await lookupJob(conn, id, ['eventlog']);
  if (typeof r.eventlog !== 'string') throw new FluxProtocolError('response to job-info.lookup', 'no eventlog string');
  return parseEventlog(r.eventlog, 'eventlog from job-info.lookup');
}
