/**
 * What every `jobf` command gets: where the store is, how to print, and helpers to turn operands
 * and filter options into jobs.
 */
import { JobfuturesError } from '../../util/errors.js';
import { JobID } from '../../ids/index.js';
import type { JobResultName, JobState } from '../../core/types.js';
import { JobStore, type JobFilter, type JobRecord } from '../../store/index.js';
import { JOB_RESULTS, JOB_STATES } from '../../core/lifecycle.js';
import { UnknownJobError } from '../../core/errors.js';
import { UsageError, commaList, type BackendName, type ParsedArgs } from './args.js';
import { openStoreFile, storeExists, storePathOf } from './store-access.js';
import type { CliHooks } from './hooks.js';

/** Where a command prints. */
export interface CliIO {
  /** Writes to standard output. */
  out(text: string): void;
  /** Writes to standard error. */
  err(text: string): void;
  /** The stream behind {@link CliIO.out}, for piping files (`jobf report`). */
  readonly stdout: NodeJS.WritableStream;
  /** Whether standard output is a terminal. */
  readonly isTTY: boolean;
  /** Terminal width, if standard output is a terminal. */
  readonly columns: number | undefined;
  /** Colour states and results: standard output is a terminal and `NO_COLOR` is not set (nor `TERM=dumb`). */
  readonly color: boolean;
}

/** Everything a command runs with. */
export interface CommandContext {
  /** Absolute path of the job store. */
  readonly dbPath: string;
  /** Backend for new jobs (`--backend`, default `local`). */
  readonly backend: BackendName;
  /** `--json`. */
  readonly json: boolean;
  /** The environment `jobf` runs in. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The working directory `jobf` runs in. */
  readonly cwd: string;
  /** Output. */
  readonly io: CliIO;
  /** The commands that need the executor (see hooks.ts). */
  readonly hooks: CliHooks;
  /** Aborted on SIGINT/SIGTERM (commands that run for long stop when it fires). */
  readonly signal: AbortSignal;
  /**
   * Opens the store. `read`: read-only, nothing is ever written; `write`: read-write; both need an
   * existing store. `create`: read-write, created if missing.
   *
   * @throws {@link UsageError} for `read` and `write` when there is no store at
   *   {@link CommandContext.dbPath}.
   */
  openStore(mode: StoreMode): JobStore;
}

/** How a command opens the store: see {@link CommandContext.openStore}. */
export type StoreMode = 'read' | 'write' | 'create';

/** The default `openStore` (see store-access.ts for read-only and unreadable stores). */
export function openStoreAt(dbPath: string, mode: StoreMode): JobStore {
  if (mode !== 'create' && !storeExists(dbPath)) {
    throw new UsageError(`no job store at ${dbPath} (give --db PATH or set JOBF_DB)`);
  }
  return openStoreFile(dbPath, mode === 'read');
}

/** A job is active (or may be running) where the command needs it finished. Exit code 2. */
export class JobActiveError extends JobfuturesError {
  /**
   * @param id - The job, F58.
   * @param state - Its state.
   * @param hint - What to do, e.g. `stop it first`.
   */
  constructor(id: string, state: string, hint: string) {
    super('ERR_JOB_ACTIVE', `job ${id} is still active (state ${state}); ${hint}`);
  }
}

/** How the user typed each id that {@link parseIds} returned (when not in F58). */
const typedAs = new WeakMap<JobID, string>();

/**
 * An id as messages should show it: as the user typed it (`12345`, `f2ZQ4h7`) when it came from
 * {@link parseIds}, else in F58.
 */
export function shownId(id: JobID): string {
  return typedAs.get(id) ?? id.f58;
}

/**
 * Parses job id operands (any RFC 19 encoding), removing repeats. Each id remembers how it was
 * typed (see {@link shownId}).
 *
 * @throws `JobIDParseError` naming the first bad one.
 */
export function parseIds(texts: readonly string[]): JobID[] {
  const seen = new Set<bigint>();
  const out: JobID[] = [];
  for (const t of texts) {
    const id = JobID.parse(t);
    if (!seen.has(id.value)) {
      seen.add(id.value);
      if (t !== id.f58) typedAs.set(id, t);
      out.push(id);
    }
  }
  return out;
}

/**
 * The records of `ids`, in the order given.
 *
 * @throws {@link UnknownJobError} for the first id that is not in the store.
 */
export function requireJobs(store: JobStore, ids: readonly JobID[]): JobRecord[] {
  const found = new Map(store.list({ ids }).map((r) => [r.jobid.value, r]));
  return ids.map((id) => {
    const rec = found.get(id.value);
    if (rec === undefined) throw new UnknownJobError(shownId(id), `(not in ${storePathOf(store)})`);
    return rec;
  });
}

/** Filter options shared by `list`, `report`, `delete` and `resubmit`. */
export const FILTER_OPTIONS = [
  {
    name: 'state',
    value: 'STATE',
    repeat: true,
    help: 'only jobs in these states (NEW, DEPEND, PRIORITY, SCHED, RUN, CLEANUP, INACTIVE, or pending, running, active)',
  },
  { name: 'result', value: 'RESULT', repeat: true, help: 'only jobs with these results (COMPLETED, FAILED, CANCELED, TIMEOUT)' },
  { name: 'name', short: 'n', value: 'NAME', repeat: true, help: 'only jobs with these names' },
] as const;

const STATE_GROUPS: Readonly<Record<string, readonly JobState[]>> = {
  PENDING: ['NEW', 'DEPEND', 'PRIORITY', 'SCHED'],
  RUNNING: ['RUN', 'CLEANUP'],
  ACTIVE: ['NEW', 'DEPEND', 'PRIORITY', 'SCHED', 'RUN', 'CLEANUP'],
};

/**
 * The store filter of `--state`, `--result`, `--name` and id operands.
 *
 * @throws {@link UsageError} for an unknown state or result.
 */
export function filterFrom(args: ParsedArgs, ids: readonly JobID[]): JobFilter {
  const filter: { -readonly [K in keyof JobFilter]: JobFilter[K] } = {};
  const states = new Set<JobState>();
  for (const s of commaList('--state', args.values('state')).map((x) => x.toUpperCase())) {
    const group = STATE_GROUPS[s];
    if (group) group.forEach((g) => states.add(g));
    else if ((JOB_STATES as readonly string[]).includes(s)) states.add(s as JobState);
    else throw new UsageError(`unknown state "${s}" (one of ${JOB_STATES.join(', ')}, pending, running, active)`);
  }
  if (states.size > 0) filter.state = [...states];
  const results = commaList('--result', args.values('result')).map((x) => x.toUpperCase());
  for (const r of results) {
    if (!(JOB_RESULTS as readonly string[]).includes(r)) {
      throw new UsageError(`unknown result "${r}" (one of ${JOB_RESULTS.join(', ')})`);
    }
  }
  if (results.length > 0) filter.result = results as JobResultName[];
  if (args.values('name').length > 0) filter.name = args.values('name');
  if (ids.length > 0) filter.ids = ids;
  return filter;
}

/**
 * The jobs a command works on: the given ids (each must exist) narrowed by the filter, or every
 * job matching the filter when no id is given. One snapshot.
 *
 * @param filter - From {@link filterFrom} (built before opening the store, so that usage errors
 *   come first).
 * @throws {@link UnknownJobError} for an id that is not in the store.
 */
export function selectJobs(store: JobStore, filter: JobFilter, ids: readonly JobID[]): JobRecord[] {
  return store.snapshot(() => {
    if (ids.length > 0) requireJobs(store, ids);
    return store.list(filter);
  });
}
