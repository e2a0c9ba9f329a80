/**
 * `jobf events ID [--follow]`: a job's eventlog as JSON lines; with `--follow`, keeps printing new
 * events (polling the store) until the job is INACTIVE.
 */
import type { JobID } from '../../ids/index.js';
import { type JobStore, type StoredEvent } from '../../store/index.js';
import { UnknownJobError } from '../../core/errors.js';
import { positiveInt, type CommandSpec, type ParsedArgs } from '../shared/args.js';
import { parseIds, requireJobs, type CommandContext } from '../shared/context.js';
import { eventJSONLine } from '../shared/format.js';

/** The command's spec. */
export const spec: CommandSpec = {
  name: 'events',
  summary: 'print a job\'s events as JSON lines (with --follow, until the job is inactive)',
  synopsis: 'ID',
  operands: 'id',
  options: [
    { name: 'follow', help: 'keep printing new events until the job is INACTIVE' },
    { name: 'interval', value: 'MS', help: 'with --follow: poll the store every MS milliseconds (default 200)' },
  ],
};

/** Options of {@link followEvents}. */
export interface FollowOptions {
  /** Poll interval in milliseconds. Default 200. */
  readonly intervalMs?: number;
  /** Stops following (resolves) when aborted. */
  readonly signal?: AbortSignal;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Calls `onEvent` for each event of a job after `afterSeq`, then for each new one as it appears,
 * polling the store, until the job is INACTIVE (all its events delivered) or `opts.signal` aborts.
 *
 * @returns The seq of the last event delivered.
 * @throws {@link UnknownJobError} if the job is (or becomes) absent from the store.
 */
export async function followEvents(
  store: JobStore,
  jobid: JobID,
  afterSeq: number,
  onEvent: (ev: StoredEvent) => void,
  opts: FollowOptions = {},
): Promise<number> {
  let last = afterSeq;
  for (;;) {
    const { rec, events } = store.snapshot(() => ({ rec: store.get(jobid), events: store.events(jobid, last) }));
    if (rec === undefined) throw new UnknownJobError(jobid.f58, '(it was deleted)');
    for (const ev of events) {
      onEvent(ev);
      last = ev.seq;
    }
    if (rec.state === 'INACTIVE' || opts.signal?.aborted) return last;
    await sleep(opts.intervalMs ?? 200, opts.signal);
  }
}

/** Runs `jobf events`. */
export async function run(ctx: CommandContext, args: ParsedArgs): Promise<number> {
  const [id] = parseIds(args.operands);
  const interval = args.value('interval') === undefined ? 200 : positiveInt('--interval', args.value('interval')!);
  const store = ctx.openStore('read');
  try {
    requireJobs(store, [id!]);
    const print = (ev: StoredEvent): void => ctx.io.out(eventJSONLine(id!.f58, ev) + '\n');
    if (args.flag('follow')) {
      await followEvents(store, id!, 0, print, { intervalMs: interval, signal: ctx.signal });
    } else {
      store.events(id!).forEach(print);
    }
    return 0;
  } finally {
    store.close();
  }
}
