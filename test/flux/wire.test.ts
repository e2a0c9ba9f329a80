/**
 * The Flux wire client against the real broker started by scripts/flux/start-dev-instance.sh.
 * Skipped, with one loud console line, when no instance is reachable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cancelJob,
  decodeWaitStatus,
  Errno,
  EventWatchFlag,
  FluxConnection,
  FluxRpcError,
  killJob,
  lookupJob,
  raiseException,
  readEventlog,
  setUrgency,
  signNone,
  submitJob,
  submitJobs,
  unwrapNone,
  watchEventlog,
  watchJournal,
  type EventlogEntry,
  type FluxStream,
  type JournalEntry,
} from '../../src/backends/flux/wire/index.js';
import { findInstance, fluxCmd } from './instance.js';

const inst = await findInstance();

/** A Jobspec V1 running `command` on one core. */
function jobspec(command: string[], system: Record<string, unknown> = {}): object {
  return {
    version: 1,
    resources: [{ type: 'slot', count: 1, label: 'task', with: [{ type: 'core', count: 1 }] }],
    tasks: [{ command, slot: 'task', count: { per_slot: 1 } }],
    attributes: { system: { duration: 0, cwd: '/tmp', environment: { PATH: '/usr/bin:/bin' }, ...system } },
  };
}
const TRUE = jobspec(['true']);

/** Per-job events collected from one journal stream, with waiters on (id, event name). */
class Journal {
  readonly events = new Map<bigint, EventlogEntry[]>();
  readonly jobspecs = new Map<bigint, object>();
  private waiters: { id: bigint; name: string; resolve: (e: EventlogEntry) => void }[] = [];
  stream!: FluxStream;

  start(conn: FluxConnection): Promise<void> {
    return new Promise((ready) => {
      this.stream = watchJournal(conn, {}, (e) => this.add(e), ready);
    });
  }

  private add(e: JournalEntry): void {
    const list = this.events.get(e.id) ?? [];
    list.push(...e.events);
    this.events.set(e.id, list);
    if (e.jobspec) this.jobspecs.set(e.id, e.jobspec);
    for (const ev of e.events) {
      this.waiters = this.waiters.filter((w) => {
        if (w.id !== e.id || w.name !== ev.name) return true;
        w.resolve(ev);
        return false;
      });
    }
  }

  /** Resolves with the job's first event called `name` (already seen or yet to come). */
  waitFor(id: bigint, name: string): Promise<EventlogEntry> {
    const seen = this.events.get(id)?.find((e) => e.name === name);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ id, name, resolve }));
  }

  names(id: bigint): string[] {
    return (this.events.get(id) ?? []).map((e) => e.name);
  }
}

interface FluxJobsRecord {
  id: number;
  result: string;
  returncode?: number;
  t_submit: number;
  state: string;
  urgency: number;
}
function fluxJobs(ids: bigint[]): FluxJobsRecord[] {
  const out = JSON.parse(fluxCmd(inst!, ['jobs', '--json', ...ids.map(String)])) as FluxJobsRecord | { jobs: FluxJobsRecord[] };
  return 'jobs' in out ? out.jobs : [out];
}

describe.skipIf(!inst)('Flux wire client against the real broker', () => {
  let conn: FluxConnection;
  const journal = new Journal();

  beforeAll(async () => {
    conn = await FluxConnection.connect(inst!.uri);
    await journal.start(conn);
  });
  /** Long-running jobs the tests start: cancelled at the end whatever happened. */
  const started: bigint[] = [];
  afterAll(async () => {
    await Promise.allSettled(started.map((id) => cancelJob(conn, id)));
    journal.stream?.cancel();
    await journal.stream?.done;
    await conn?.close();
  });

  it('submits a jobspec and sees its events in order in the journal, exit code in finish', async () => {
    const id = await submitJob(conn, TRUE);
    expect(id).toBeTypeOf('bigint');
    const clean = await journal.waitFor(id, 'clean');
    // the journal also carries `annotations` events (scheduler annotations), which the job's
    // eventlog does not have
    const names = journal.names(id).filter((n) => n !== 'annotations');
    expect(names).toEqual(['submit', 'validate', 'depend', 'priority', 'alloc', 'start', 'finish', 'release', 'free', 'clean']);
    const ts = journal.events.get(id)!.map((e) => e.timestamp);
    expect([...ts].sort((a, b) => a - b)).toEqual(ts);
    expect(clean.timestamp).toBeGreaterThan(1.6e9);
    const finish = await journal.waitFor(id, 'finish');
    expect(decodeWaitStatus(finish.context.status as number).exitCode).toBe(0);
    expect(journal.jobspecs.get(id)).toMatchObject({ version: 1, tasks: [{ command: ['true'] }] });
    // the same job as flux jobs --json sees it
    const [rec] = fluxJobs([id]);
    expect(BigInt(rec!.id)).toBe(id);
    expect(rec).toMatchObject({ result: 'COMPLETED', returncode: 0, state: 'INACTIVE' });
    expect(rec!.t_submit).toBeCloseTo(journal.events.get(id)![0]!.timestamp, 3);
    // and job-info has the same eventlog
    const log = await readEventlog(conn, id);
    expect(log.map((e) => e.name)).toEqual(names);
  });

  it('reports a nonzero exit code and follows a job submitted by the flux CLI through eventlog-watch', async () => {
    const idText = fluxCmd(inst!, ['job', 'submit'], JSON.stringify(jobspec(['sh', '-c', 'exit 3']))).trim();
    const id = BigInt(fluxCmd(inst!, ['job', 'id', '--to=dec', idText]).trim());
    const other = await FluxConnection.connect(inst!.uri);
    try {
      const seen: EventlogEntry[] = [];
      await watchEventlog(other, id, (e) => seen.push(e)).done; // ends (ENODATA) after clean
      expect(seen.at(-1)?.name).toBe('clean');
      const finish = seen.find((e) => e.name === 'finish')!;
      expect(decodeWaitStatus(finish.context.status as number).exitCode).toBe(3);
      expect(fluxJobs([id])[0]).toMatchObject({ result: 'FAILED', returncode: 3 });
      // the CLI's J is what signNone() makes from the same text (flux_job_submit / sign_none_wrap)
      const { J } = await lookupJob(other, id, ['J']);
      const inner = unwrapNone(J as string);
      expect(inner.userid).toBe(process.getuid!());
      expect(signNone(inner.jobspec, inner.userid)).toBe(J);
    } finally {
      await other.close();
    }
  });

  it('pipelines 200 submissions on one connection', async () => {
    const t0 = performance.now();
    const results = await submitJobs(conn, Array.from({ length: 200 }, () => jobspec(['true'], { exec: { test: { run_duration: '0.01s' } } })));
    const tSubmit = performance.now() - t0;
    const ids = results.map((r) => {
      if (r instanceof Error) throw r;
      return r;
    });
    expect(new Set(ids).size).toBe(200);
    await Promise.all(ids.map((id) => journal.waitFor(id, 'clean')));
    const tAll = performance.now() - t0;
    console.log(`flux wire: 200 pipelined submits in ${tSubmit.toFixed(0)} ms, all clean after ${tAll.toFixed(0)} ms`);
    const recs = fluxJobs(ids);
    expect(recs).toHaveLength(200);
    expect(recs.every((r) => r.result === 'COMPLETED')).toBe(true);
  });

  it('cancels a running job: exception event, CANCELED', async () => {
    const id = await submitJob(conn, jobspec(['sleep', '300']));
    started.push(id);
    await journal.waitFor(id, 'start');
    await cancelJob(conn, id, 'from the wire test');
    const exc = await journal.waitFor(id, 'exception');
    expect(exc.context).toMatchObject({ type: 'cancel', severity: 0, note: 'from the wire test' });
    await journal.waitFor(id, 'clean');
    expect(fluxJobs([id])[0]).toMatchObject({ result: 'CANCELED' });
  });

  it('signals a running job with job-manager.kill', async () => {
    const id = await submitJob(conn, jobspec(['sleep', '300']));
    started.push(id);
    // `start` means the shells are up, not that the tasks run: a signal sent then can be lost.
    // The shell posts `shell.start` to the job's exec eventlog once its tasks are launched.
    await new Promise<void>((resolve) => {
      const s = watchEventlog(conn, id, (e) => {
        if (e.name === 'shell.start') {
          s.cancel();
          resolve();
        }
      }, 'guest.exec.eventlog', EventWatchFlag.WAITCREATE);
    });
    await killJob(conn, id, 9);
    const finish = await journal.waitFor(id, 'finish');
    // the job shell reports a task killed by signal N as exit status 128+N (wait status 0x8900)
    expect(finish.context.status).toBe(137 << 8);
    expect(decodeWaitStatus(finish.context.status as number).exitCode).toBe(137);
    await journal.waitFor(id, 'clean');
  });

  it('raises a non-fatal exception that the job survives, then a fatal one', async () => {
    const id = await submitJob(conn, jobspec(['sleep', '300']));
    started.push(id);
    await journal.waitFor(id, 'start');
    await raiseException(conn, id, 'jftest', 3, 'just a note');
    expect((await journal.waitFor(id, 'exception')).context).toMatchObject({ type: 'jftest', severity: 3 });
    expect(journal.names(id)).not.toContain('finish');
    await raiseException(conn, id, 'jftest', 0);
    await journal.waitFor(id, 'clean');
    expect(fluxJobs([id])[0]!.result).toBe('FAILED');
  });

  it('urgency 0 holds a job while later jobs run; raising it lets it run', async () => {
    const held = await submitJob(conn, TRUE, { urgency: 0 });
    const prio = await journal.waitFor(held, 'priority');
    expect(prio.context.priority).toBe(0);
    const later = await submitJob(conn, TRUE);
    await journal.waitFor(later, 'clean');
    expect(journal.names(held)).not.toContain('alloc');
    expect(fluxJobs([held])[0]).toMatchObject({ state: 'SCHED', urgency: 0 });
    expect(await setUrgency(conn, held, 16)).toBe(0);
    expect((await journal.waitFor(held, 'urgency')).context).toMatchObject({ urgency: 16 });
    await journal.waitFor(held, 'clean');
    expect(fluxJobs([held])[0]!.result).toBe('COMPLETED');
  });

  it('malformed requests give typed errors with Flux errnum and message', async () => {
    const expectRpcError = async (p: Promise<unknown>, topic: string, errnum: number, text?: RegExp): Promise<FluxRpcError> => {
      const e = await p.then(() => undefined, (x: unknown) => x);
      expect(e).toBeInstanceOf(FluxRpcError);
      const r = e as FluxRpcError;
      expect({ topic: r.topic, errnum: r.errnum }).toEqual({ topic, errnum });
      if (text) expect(r.errstr).toMatch(text);
      return r;
    };
    // missing urgency/flags: flux_request_unpack fails with EPROTO
    await expectRpcError(conn.rpc('job-ingest.submit', { J: 'x' }), 'job-ingest.submit', Errno.EPROTO, /error decoding job request/);
    // a J that is not a signed jobspec
    await expectRpcError(conn.rpc('job-ingest.submit', { J: 'x', urgency: 16, flags: 0 }), 'job-ingest.submit', Errno.EINVAL, /unwrap/);
    // a jobspec the validator rejects: job-ingest answers EPERM (1) with the validator's message
    const e = await expectRpcError(submitJob(conn, { version: 1 }), 'job-ingest.submit', 1, /^Missing key \((resources|tasks|attributes)\)$/);
    expect(e.message).toMatch(/^job-ingest\.submit: EPERM \(1\): Missing key/);
    // unknown job and unknown service
    // urgency of an unknown job, out of range, or of an inactive job: EINVAL with urgency.c's reason
    await expectRpcError(setUrgency(conn, 123456789n, 3), 'job-manager.urgency', Errno.EINVAL, /^unknown job$/);
    const done = await submitJob(conn, TRUE);
    await expectRpcError(setUrgency(conn, done, 32), 'job-manager.urgency', Errno.EINVAL, /out of range/);
    await journal.waitFor(done, 'clean');
    await expectRpcError(setUrgency(conn, done, 3), 'job-manager.urgency', Errno.EINVAL, /^job is inactive$/);
    await expectRpcError(conn.rpc('nosuchservice.hello', {}), 'nosuchservice.hello', Errno.ENOSYS);
    // the journal refuses a request without the streaming flag
    await expectRpcError(conn.rpc('job-manager.events-journal', {}), 'job-manager.events-journal', Errno.EPROTO, /streaming/);
    // eventlog-watch of an unknown job ends the stream with ENOENT
    await expectRpcError(watchEventlog(conn, 123456789n, () => {}).done, 'job-info.eventlog-watch', Errno.ENOENT);
    // the connection still works after all that
    expect(await submitJob(conn, TRUE)).toBeTypeOf('bigint');
  });
});
