import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { UnknownJobError } from '../../src/core/errors.js';
import { JobID } from '../../src/ids/index.js';
import {
  DuplicateJobError,
  JobStore,
  currentOwner,
  type Owner,
} from '../../src/store/index.js';
import { newId, newJob, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => void;
let store: JobStore;

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  store = JobStore.open(join(dir, 'jobs.db'));
});
afterEach(() => {
  store.close();
  cleanup();
});

const T0 = 1_700_000_000;

function runToEnd(jobid: JobID, status: number): void {
  store.appendEvents(
    ['validate', 'depend', 'priority', 'alloc', 'start'].map((name, i) => ({ jobid, name, timestamp: T0 + i })),
  );
  store.appendEvent(jobid, 'finish', T0 + 10, { status });
  store.appendEvents(['release', 'free', 'clean'].map((name, i) => ({ jobid, name, timestamp: T0 + 11 + i })));
}

describe('insertJob / get', () => {
  it('round-trips every field', () => {
    const dep = newJob();
    store.insertJob(dep);
    const owner: Owner = { pid: 123, host: 'h', bootId: 'b', startTime: '42' };
    const job = newJob({
      name: 'train',
      urgency: 20,
      stdout: '/tmp/o',
      stderr: '/tmp/e',
      logDir: '/tmp',
      cwd: '/work',
      arrayId: dep.jobid,
      arrayIndex: 3,
      owner,
      nativeId: '999',
      submittedAt: T0,
      dependencies: [{ jobid: dep.jobid, kind: 'afterany' }],
    });
    store.insertJob(job);
    const rec = store.get(job.jobid)!;
    expect(rec.jobid.equals(job.jobid as JobID)).toBe(true);
    expect(rec).toMatchObject({
      name: 'train',
      backend: 'local',
      urgency: 16, // the submit event's context says 16
      state: 'NEW',
      stdout: '/tmp/o',
      stderr: '/tmp/e',
      logDir: '/tmp',
      cwd: '/work',
      arrayIndex: 3,
      owner,
      nativeId: '999',
      submittedAt: T0,
      attempt: 1,
      attemptSeq: 1,
      lastSeq: 1,
    });
    expect(rec.arrayId?.equals(dep.jobid as JobID)).toBe(true);
    expect(rec.dependencies).toHaveLength(1);
    expect(rec.dependencies[0]!.kind).toBe('afterany');
    expect(rec.dependencies[0]!.jobid.equals(dep.jobid as JobID)).toBe(true);
    expect(rec.spec).toEqual(job.spec);
    expect(rec.result).toBeUndefined();
    expect('result' in rec).toBe(false);
  });

  it('keeps full 64-bit ids exactly', () => {
    const ids = [0n, 1n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n];
    for (const id of ids) store.insertJob(newJob({ jobid: id }));
    expect(store.list().map((r) => r.jobid.value)).toEqual(ids);
    expect(store.get((1n << 64n) - 1n)?.jobid.value).toBe((1n << 64n) - 1n);
  });

  it('rejects a duplicate id and writes nothing', () => {
    const job = newJob();
    store.insertJob(job);
    expect(() => store.insertJob(job)).toThrow(DuplicateJobError);
    expect(store.list()).toHaveLength(1);
  });

  it('rejects an unknown dependency and writes nothing of the batch', () => {
    const a = newJob();
    const missing = newId();
    const b = newJob({ dependencies: [{ jobid: missing, kind: 'afterok' }] });
    const err = (() => {
      try {
        store.insertJobs([a, b]);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(UnknownJobError);
    expect((err as UnknownJobError).code).toBe('ERR_UNKNOWN_JOB');
    expect((err as Error).message).toContain(missing.f58);
    expect(store.list()).toHaveLength(0);
    expect(store.events(a.jobid)).toEqual([]);
  });

  it('lets a job depend on one inserted earlier in the same batch', () => {
    const a = newJob();
    const b = newJob({ dependencies: [{ jobid: a.jobid, kind: 'afterok' }] });
    store.insertJobs([a, b]);
    expect(store.dependents(a.jobid).map((id) => id.value)).toEqual([(b.jobid as JobID).value]);
  });

  it('validates its input', () => {
    expect(() => store.insertJob(newJob({ urgency: 32 }))).toThrow(/urgency/);
    expect(() => store.insertJob(newJob({ backend: '' }))).toThrow(/backend/);
    expect(() => store.insertJob(newJob({ jobid: -1n }))).toThrow(/jobid/);
    expect(() => store.insertJob(newJob({ events: [{ name: 'submit', timestamp: NaN }] }))).toThrow(/timestamp/);
    expect(store.list()).toHaveLength(0);
  });

  it('get of an unknown id is undefined', () => {
    expect(store.get(newId())).toBeUndefined();
    expect(store.has(newId())).toBe(false);
  });
});

describe('events and derived state', () => {
  it('derives COMPLETED with returncode 0', () => {
    const job = newJob();
    store.insertJob(job);
    runToEnd(job.jobid as JobID, 0);
    const rec = store.get(job.jobid)!;
    expect(rec).toMatchObject({ state: 'INACTIVE', result: 'COMPLETED', returncode: 0, waitstatus: 0 });
    expect(rec.tRun).toBe(T0 + 4);
    expect(rec.tCleanup).toBe(T0 + 13);
    expect(rec.lastSeq).toBe(10);
    const events = store.events(job.jobid);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(events.map((e) => e.name)).toEqual([
      'submit', 'validate', 'depend', 'priority', 'alloc', 'start', 'finish', 'release', 'free', 'clean',
    ]);
    expect(events[6]!.context).toEqual({ status: 0 });
    expect(store.events(job.jobid, 8).map((e) => e.name)).toEqual(['free', 'clean']);
  });

  it('derives FAILED with the exit code, and -signal for a signal', () => {
    const a = newJob();
    const b = newJob();
    store.insertJobs([a, b]);
    runToEnd(a.jobid as JobID, 3 << 8);
    runToEnd(b.jobid as JobID, 9);
    expect(store.get(a.jobid)).toMatchObject({ result: 'FAILED', returncode: 3 });
    expect(store.get(b.jobid)).toMatchObject({ result: 'FAILED', returncode: -9 });
  });

  it('derives CANCELED (-128) for a job canceled before it ran, and keeps the exception', () => {
    const job = newJob();
    store.insertJob(job);
    store.appendEvent(job.jobid, 'exception', T0, { type: 'cancel', severity: 0, note: 'by user' });
    expect(store.get(job.jobid)!.state).toBe('CLEANUP');
    store.appendEvent(job.jobid, 'clean', T0 + 1);
    expect(store.get(job.jobid)).toMatchObject({
      state: 'INACTIVE',
      result: 'CANCELED',
      returncode: -128,
      exception: { type: 'cancel', severity: 0, note: 'by user' },
    });
  });

  it('derives TIMEOUT and FAILED (lost) from exceptions', () => {
    const a = newJob();
    const b = newJob();
    store.insertJobs([a, b]);
    store.appendEvents([
      { jobid: a.jobid, name: 'start', timestamp: T0 },
      { jobid: a.jobid, name: 'exception', timestamp: T0 + 1, context: { type: 'timeout', severity: 0, note: '' } },
      { jobid: a.jobid, name: 'finish', timestamp: T0 + 2, context: { status: 15 } },
      { jobid: a.jobid, name: 'clean', timestamp: T0 + 3 },
      { jobid: b.jobid, name: 'exception', timestamp: T0, context: { type: 'lost', severity: 0, note: 'owner died' } },
      { jobid: b.jobid, name: 'clean', timestamp: T0 + 1 },
    ]);
    expect(store.get(a.jobid)).toMatchObject({ result: 'TIMEOUT', returncode: -15 });
    const lost = store.get(b.jobid)!;
    expect(lost).toMatchObject({ result: 'FAILED', exception: { type: 'lost' } });
    expect(lost.returncode).toBe(1);
  });

  it('ignores non-fatal exceptions for the state', () => {
    const job = newJob();
    store.insertJob(job);
    store.appendEvent(job.jobid, 'exception', T0, { type: 'warn', severity: 3, note: '' });
    expect(store.get(job.jobid)).toMatchObject({ state: 'NEW' });
    expect(store.get(job.jobid)!.exception).toBeUndefined();
  });

  it('tracks urgency', () => {
    const job = newJob();
    store.insertJob(job);
    store.appendEvent(job.jobid, 'urgency', T0, { urgency: 0 });
    expect(store.get(job.jobid)!.urgency).toBe(0);
  });

  it('appendEvent on an unknown job throws and appendEvents writes nothing then', () => {
    const job = newJob();
    store.insertJob(job);
    expect(() => store.appendEvent(newId(), 'start', T0)).toThrow(UnknownJobError);
    expect(() =>
      store.appendEvents([
        { jobid: job.jobid, name: 'validate', timestamp: T0 },
        { jobid: newId(), name: 'validate', timestamp: T0 },
      ]),
    ).toThrow(UnknownJobError);
    expect(store.events(job.jobid)).toHaveLength(1);
    expect(store.get(job.jobid)!.state).toBe('NEW');
  });

  it('returns seqs', () => {
    const job = newJob();
    store.insertJob(job);
    expect(store.appendEvent(job.jobid, 'validate', T0)).toBe(2);
    expect(store.appendEvents([{ jobid: job.jobid, name: 'depend', timestamp: T0 }])).toEqual([3]);
  });
});

describe('list', () => {
  it('filters by state, result, name, backend, ids and array', () => {
    const a = newJob({ name: 'a' });
    const b = newJob({ name: 'b', backend: 'slurm' });
    const c = newJob({ name: 'c', arrayId: a.jobid, arrayIndex: 1 });
    store.insertJobs([a, b, c]);
    runToEnd(a.jobid as JobID, 0);
    runToEnd(b.jobid as JobID, 1 << 8);
    const names = (f: Parameters<JobStore['list']>[0]): string[] => store.list(f).map((r) => r.name);
    expect(names({})).toEqual(['a', 'b', 'c']);
    expect(names({ state: 'INACTIVE' })).toEqual(['a', 'b']);
    expect(names({ state: ['NEW', 'SCHED'] })).toEqual(['c']);
    expect(names({ result: 'FAILED' })).toEqual(['b']);
    expect(names({ name: ['a', 'c'] })).toEqual(['a', 'c']);
    expect(names({ backend: 'slurm' })).toEqual(['b']);
    expect(names({ ids: [c.jobid, b.jobid, newId()] })).toEqual(['b', 'c']);
    expect(names({ arrayId: a.jobid })).toEqual(['c']);
    expect(names({ state: 'INACTIVE', result: 'COMPLETED', name: 'a' })).toEqual(['a']);
    expect(() => store.list({ state: 'BOGUS' as never })).toThrow(/unknown state/);
  });

  it('returns dependencies of listed jobs', () => {
    const a = newJob();
    const b = newJob({ dependencies: [{ jobid: a.jobid, kind: 'afterok' }] });
    store.insertJobs([a, b]);
    const [ra, rb] = store.list();
    expect(ra!.dependencies).toEqual([]);
    expect(rb!.dependencies.map((d) => d.kind)).toEqual(['afterok']);
    expect(store.countByState()).toEqual({ NEW: 2 });
  });
});

describe('requeue', () => {
  it('starts a new attempt and keeps the old events', () => {
    const job = newJob({ nativeId: '77', owner: currentOwner() });
    store.insertJob(job);
    runToEnd(job.jobid as JobID, 1 << 8);
    const rec = store.requeue(job.jobid, T0 + 100);
    expect(rec).toMatchObject({ state: 'NEW', attempt: 2, attemptSeq: 11, lastSeq: 11 });
    expect(rec.result).toBeUndefined();
    expect(rec.returncode).toBeUndefined();
    expect(rec.nativeId).toBeUndefined();
    expect(rec.owner).toBeUndefined();
    expect(rec.tRun).toBeUndefined();
    const events = store.events(job.jobid);
    expect(events).toHaveLength(11);
    expect(events[10]).toMatchObject({ name: 'submit', attempt: 2, seq: 11, timestamp: T0 + 100 });
    expect(events[10]!.context).toMatchObject({ urgency: 16, userid: 0 });
    expect(store.events(job.jobid, rec.attemptSeq - 1).map((e) => e.name)).toEqual(['submit']);
    runToEnd(job.jobid as JobID, 0);
    expect(store.get(job.jobid)).toMatchObject({ result: 'COMPLETED', attempt: 2 });
  });

  it('keeps a held job held', () => {
    const job = newJob();
    store.insertJob(job);
    store.appendEvent(job.jobid, 'urgency', T0, { urgency: 0 });
    expect(store.requeue(job.jobid).urgency).toBe(0);
  });

  it('throws for an unknown job', () => {
    expect(() => store.requeue(newId())).toThrow(UnknownJobError);
  });
});

describe('owners', () => {
  const alive: Owner = { pid: 1, host: 'h', bootId: 'b', startTime: '1' };
  const dead: Owner = { pid: 2, host: 'h', bootId: 'b', startTime: '2' };
  const me: Owner = { pid: 3, host: 'h', bootId: 'b', startTime: '3' };
  const isAlive = (o: Owner): boolean => o.pid !== dead.pid;

  it('claims the active jobs of dead owners and unowned ones, atomically', () => {
    const ofAlive = newJob({ name: 'alive', owner: alive });
    const ofDead = newJob({ name: 'dead', owner: dead });
    const unowned = newJob({ name: 'unowned' });
    const finished = newJob({ name: 'finished', owner: dead });
    const mine = newJob({ name: 'mine', owner: me });
    const slurm = newJob({ name: 'slurm', owner: dead, backend: 'slurm' });
    store.insertJobs([ofAlive, ofDead, unowned, finished, mine, slurm]);
    runToEnd(finished.jobid as JobID, 0);

    const calls: number[] = [];
    const claimed = store.claimOrphans(me, (o) => (calls.push(o.pid), isAlive(o)), { backend: 'local' });
    expect(claimed.map((r) => r.name)).toEqual(['dead', 'unowned']);
    expect(claimed.every((r) => r.owner?.pid === me.pid)).toBe(true);
    expect(calls.sort()).toEqual([1, 2]);
    expect(store.get(ofAlive.jobid)!.owner).toEqual(alive);
    expect(store.get(finished.jobid)!.owner).toEqual(dead);
    expect(store.get(slurm.jobid)!.owner).toEqual(dead);

    // Nothing is left to take for anybody else.
    const other: Owner = { pid: 4, host: 'h', bootId: 'b', startTime: '4' };
    expect(store.claimOrphans(other, isAlive, { backend: 'local' })).toEqual([]);
    // Without the backend filter the Slurm job goes too.
    expect(store.claimOrphans(other, isAlive).map((r) => r.name)).toEqual(['slurm']);
  });

  it('leaves unowned jobs alone with includeUnowned: false', () => {
    store.insertJobs([newJob({ name: 'unowned' }), newJob({ name: 'dead', owner: dead })]);
    expect(store.claimOrphans(me, isAlive, { includeUnowned: false }).map((r) => r.name)).toEqual(['dead']);
  });

  it('setOwner and setNativeId', () => {
    const job = newJob();
    store.insertJob(job);
    store.setOwner(job.jobid, me);
    store.setNativeId(job.jobid, '4242');
    expect(store.get(job.jobid)).toMatchObject({ owner: me, nativeId: '4242' });
    store.setOwner(job.jobid, null);
    expect(store.get(job.jobid)!.owner).toBeUndefined();
    expect(() => store.setOwner(newId(), me)).toThrow(UnknownJobError);
    expect(() => store.setNativeId(newId(), '1')).toThrow(UnknownJobError);
  });
});

describe('delete and transactions', () => {
  it('removes the job, its events and its own edges, keeping dependents', () => {
    const a = newJob();
    const b = newJob({ dependencies: [{ jobid: a.jobid, kind: 'afterok' }] });
    store.insertJobs([a, b]);
    expect(store.delete(a.jobid)).toBe(true);
    expect(store.delete(a.jobid)).toBe(false);
    expect(store.get(a.jobid)).toBeUndefined();
    expect(store.events(a.jobid)).toEqual([]);
    expect(store.get(b.jobid)!.dependencies.map((d) => d.jobid.value)).toEqual([(a.jobid as JobID).value]);
    expect(store.delete(b.jobid)).toBe(true);
    expect(store.list()).toEqual([]);
  });

  it('rolls back everything a failed transaction wrote', () => {
    const job = newJob();
    expect(() =>
      store.transaction(() => {
        store.insertJob(job);
        store.appendEvent(job.jobid, 'validate', T0);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(store.has(job.jobid)).toBe(false);
  });

  it('a read-only store reads and refuses writes', () => {
    const job = newJob();
    store.insertJob(job);
    const ro = JobStore.open(store.path, { readonly: true });
    try {
      expect(ro.readonly).toBe(true);
      expect(ro.get(job.jobid)?.name).toBe('job');
      expect(() => ro.appendEvent(job.jobid, 'validate', T0)).toThrow(/readonly/);
    } finally {
      ro.close();
    }
  });
});
