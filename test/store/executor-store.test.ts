/**
 * `JobExecutor` with a store, across processes: a child process fanning out jobs is killed with
 * SIGKILL, and an executor opened afterwards on the same store takes its jobs over. Also two
 * processes on one store at once, and `attach` of a finished job.
 *
 * The child is a small ES module that imports the compiled package (test/cli/helpers/build.ts).
 * Local jobs use the execa spawner ({@link SPAWNER}): the compiled package has no native launcher
 * next to it. Every helper takes the spawner as a parameter (the launcher keeps its jobs in
 * persistent mode too, once it can be found from the build).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { JobExecutor } from '../../src/executor/index.js';
import { FluidGenerator, JobID } from '../../src/ids/index.js';
import { Jobspec } from '../../src/jobspec/index.js';
import { JobStore, type JobRecord } from '../../src/store/index.js';
import { processesWithEnv, waitFor } from '../behaviour/helpers.js';
import { buildForTests } from '../cli/helpers/build.js';
import { inconsistency } from './fixtures/consistency.js';
import { tempDir } from './helpers.js';

/** How local jobs are started, here and in the children. */
type SpawnerName = 'execa' | 'launcher' | 'auto';
const SPAWNER: SpawnerName = 'execa';

let root: string;
let cleanup: () => void;
let child: string;
let n = 0;

/** The child: `node child.mjs MODE DB OPTIONS_JSON`; prints one JSON line per stage. */
function childSource(build: string): string {
  const url = (rel: string): string => pathToFileURL(join(build, rel)).href;
  return `
import { JobExecutor } from ${JSON.stringify(url('src/executor/executor.js'))};
import { Jobspec } from ${JSON.stringify(url('src/jobspec/index.js'))};
const [mode, db, json] = process.argv.slice(2);
const opts = JSON.parse(json);
const ex = new JobExecutor({ store: db, spawner: opts.spawner, maxCores: opts.maxCores });
const futures = [];
if (mode === 'runqueued' || mode === 'both') futures.push(...ex.runQueued());
const queued = futures.map((f) => f.id.f58);
for (const job of opts.jobs ?? []) {
  const spec = Jobspec.fromCommand(job.argv, { name: job.name, environment: { ...process.env, ...(job.env ?? {}) } });
  futures.push(ex.submit(spec));
}
process.stdout.write(JSON.stringify({ queued, ids: futures.map((f) => f.id.f58) }) + '\\n');
const results = await Promise.all(futures);
process.stdout.write(JSON.stringify({ results: results.map((r) => [r.jobid.f58, r.result, r.returncode]) }) + '\\n');
await ex.shutdown();
`;
}

beforeAll(async () => {
  const build = await buildForTests();
  ({ dir: root, cleanup } = tempDir('jobf-exstore-'));
  child = join(root, 'child.mjs');
  writeFileSync(child, childSource(build));
}, 180_000);
afterAll(() => cleanup());

/** A fresh folder with a store path in it. */
function workdir(): { dir: string; db: string } {
  const dir = join(root, `w${++n}`);
  mkdirSync(dir);
  return { dir, db: join(dir, 'jobs.db') };
}

/** One job of a child's fan-out. */
interface ChildJob {
  readonly argv: readonly string[];
  readonly name?: string;
  readonly env?: Record<string, string>;
}

/** A running child and the ids it printed. */
interface Child {
  readonly proc: ResultPromise;
  /** Ids of its jobs, in order: those `runQueued` gave, then those it submitted. */
  readonly ids: Promise<{ queued: JobID[]; ids: JobID[] }>;
}

/** Starts a child executor on `db`. */
function startChild(mode: 'fanout' | 'runqueued' | 'both', db: string, opts: { jobs?: ChildJob[]; maxCores?: number; spawner?: SpawnerName }): Child {
  const proc = execa('node', [child, mode, db, JSON.stringify({ spawner: SPAWNER, maxCores: 4, ...opts })], { reject: false, cwd: root });
  const ids = new Promise<{ queued: JobID[]; ids: JobID[] }>((resolve, reject) => {
    let buf = '';
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        const first = JSON.parse(buf.slice(0, nl)) as { queued: string[]; ids: string[] };
        resolve({ queued: first.queued.map((s) => JobID.parse(s)), ids: first.ids.map((s) => JobID.parse(s)) });
      }
    });
    void proc.then((r) => reject(new Error(`the child ended before printing its job ids: ${String(r.stderr)}`)));
  });
  return { proc, ids };
}

function readStore<T>(db: string, fn: (store: JobStore) => T): T {
  const store = JobStore.open(db, { readonly: true });
  try {
    return store.snapshot(() => fn(store));
  } finally {
    store.close();
  }
}

function rec(db: string, id: JobID): JobRecord {
  return readStore(db, (s) => s.get(id))!;
}

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : [];
}

/** A job that records its start in `runs`, waits for `gate`, then exits with `code`. */
function gatedJob(runs: string, gate: string, code: number): string[] {
  return ['sh', '-c', `echo "$JOBFUTURES_JOB_ID" >> "$1"; while [ ! -e "$2" ]; do sleep 0.02; done; exit ${code}`, 'job', runs, gate];
}

/** Occurrences of each value. */
function tally(values: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

describe('a new executor on the store of a killed one', () => {
  it('follows running jobs to their real end, runs the queued ones, reads the status of jobs that ended meanwhile, fails the lost one', async () => {
    const { dir, db } = workdir();
    const runs = join(dir, 'runs');
    const gateA = join(dir, 'gate-a');
    const gateB = join(dir, 'gate-b');
    const mark = `exstore-${process.pid}-${n}`;
    const jobs: ChildJob[] = [
      { name: 'r3', argv: gatedJob(runs, gateA, 3) },
      { name: 'r0', argv: gatedJob(runs, gateA, 0) },
      { name: 'ended', argv: gatedJob(runs, gateB, 5), env: { JOBF_TEST_MARK: `${mark}-ended` } },
      { name: 'lost', argv: gatedJob(runs, join(dir, 'never'), 0), env: { JOBF_TEST_MARK: `${mark}-lost` } },
      { name: 'q7', argv: ['sh', '-c', 'echo "$JOBFUTURES_JOB_ID" >> "$1"; exit 7', 'job', runs] },
      { name: 'q0', argv: ['sh', '-c', 'echo "$JOBFUTURES_JOB_ID" >> "$1"', 'job', runs] },
    ];
    const c = startChild('fanout', db, { jobs, maxCores: 4 });
    const { ids } = await c.ids;
    const [r3, r0, ended, lost, q7, q0] = ids as [JobID, JobID, JobID, JobID, JobID, JobID];
    // The first four run (4 cores), the last two wait.
    await waitFor(
      () => [r3, r0, ended, lost].every((id) => rec(db, id).tRun !== undefined && rec(db, id).nativeId !== undefined) && lines(runs).length === 4,
      20_000,
      'four running jobs',
    );
    expect([rec(db, q7).state, rec(db, q0).state]).toEqual(['SCHED', 'SCHED']);
    c.proc.kill('SIGKILL');
    expect((await c.proc).signal).toBe('SIGKILL');

    // While nobody owns them: `ended` ends (its wrapper records its status); `lost` is killed
    // with its wrapper, so that it leaves no status.
    writeFileSync(gateB, '');
    await waitFor(() => processesWithEnv('JOBF_TEST_MARK', `${mark}-ended`).length === 0, 10_000, 'the job that ends meanwhile');
    process.kill(-Number(rec(db, lost).nativeId), 'SIGKILL');
    await waitFor(() => processesWithEnv('JOBF_TEST_MARK', `${mark}-lost`).length === 0, 10_000, 'the lost job to die');

    const ex = new JobExecutor({ store: db, spawner: SPAWNER, maxCores: 4 });
    try {
      expect(ex.recovered.claimed).toBe(6);
      expect(new Set(ex.recovered.jobs.map((id) => id.f58))).toEqual(new Set(ids.map((id) => id.f58)));
      const futures = ids.map((id) => ex.attach(id));
      writeFileSync(gateA, '');
      const results = await Promise.all(futures);
      const byName = Object.fromEntries(results.map((r, i) => [jobs[i]!.name, r]));
      expect(byName['r3']).toMatchObject({ result: 'FAILED', returncode: 3 });
      expect(byName['r0']).toMatchObject({ result: 'COMPLETED', returncode: 0 });
      expect(byName['ended']).toMatchObject({ result: 'FAILED', returncode: 5 });
      expect(byName['lost']).toMatchObject({ result: 'FAILED', exception: { type: 'lost', severity: 0 } });
      expect(byName['q7']).toMatchObject({ result: 'FAILED', returncode: 7 });
      expect(byName['q0']).toMatchObject({ result: 'COMPLETED', returncode: 0 });
    } finally {
      await ex.shutdown();
    }
    // The store agrees, and every job ran exactly once.
    expect(ids.map((id) => [rec(db, id).result, rec(db, id).returncode ?? null])).toEqual([
      ['FAILED', 3],
      ['COMPLETED', 0],
      ['FAILED', 5],
      ['FAILED', 1], // lost: the same returncode as its future's (core's rule)
      ['FAILED', 7],
      ['COMPLETED', 0],
    ]);
    expect(tally(lines(runs))).toEqual(new Map(ids.map((id) => [id.f58, 1])));
    readStore(db, (s) => {
      for (const id of ids) expect(inconsistency(s.get(id)!, s.events(id))).toBeUndefined();
      // One start per job: nothing was started twice.
      for (const id of ids) expect(s.events(id).filter((e) => e.name === 'start')).toHaveLength(1);
    });

    // attach() after the fact gives the recorded result, without running anything.
    const later = new JobExecutor({ store: db, spawner: SPAWNER });
    try {
      expect(later.recovered.claimed).toBe(0);
      expect(await later.attach(r3)).toMatchObject({ jobid: r3, result: 'FAILED', returncode: 3 });
      expect(await later.attach(lost.f58)).toMatchObject({ result: 'FAILED', exception: { type: 'lost' } });
    } finally {
      await later.shutdown();
    }
    expect(lines(runs)).toHaveLength(6);
  });

  it('with requeueLost: true, a job whose fate cannot be known runs again', async () => {
    const { dir, db } = workdir();
    const runs = join(dir, 'runs');
    const mark = `requeue-${process.pid}-${n}`;
    // First run: waits for ever; second run: completes.
    const argv = ['sh', '-c', 'echo run >> "$1"; [ "$(wc -l < "$1")" -ge 2 ] && exit 0; sleep 60', 'job', runs];
    const c = startChild('fanout', db, { jobs: [{ argv, env: { JOBF_TEST_MARK: mark } }] });
    const [id] = (await c.ids).ids as [JobID];
    // The store is written in batches: wait until it holds the first start, so the count below is of runs.
    await waitFor(
      () =>
        rec(db, id).nativeId !== undefined &&
        lines(runs).length === 1 &&
        readStore(db, (s) => s.events(id)).some((e) => e.name === 'start'),
      20_000,
      'the job to run',
    );
    c.proc.kill('SIGKILL');
    await c.proc;
    process.kill(-Number(rec(db, id).nativeId), 'SIGKILL');
    await waitFor(() => processesWithEnv('JOBF_TEST_MARK', mark).length === 0, 10_000, 'the job to die');

    const ex = new JobExecutor({ store: db, spawner: SPAWNER, requeueLost: true });
    try {
      expect(await ex.attach(id)).toMatchObject({ result: 'COMPLETED', returncode: 0 });
    } finally {
      await ex.shutdown();
    }
    expect(lines(runs)).toEqual(['run', 'run']);
    const events = readStore(db, (s) => s.events(id));
    expect(events.find((e) => e.name === 'exception')?.context).toMatchObject({ type: 'lost', severity: 1 });
    expect(events.filter((e) => e.name === 'start')).toHaveLength(2);
    expect(rec(db, id)).toMatchObject({ state: 'INACTIVE', result: 'COMPLETED' });
  });
});

describe('two processes on one store at once', () => {
  it('share the queued jobs without running any twice and fan out their own without corrupting the store', async () => {
    const { dir, db } = workdir();
    const runs = join(dir, 'runs');
    const record = (['sh', '-c', 'echo "$JOBFUTURES_JOB_ID" >> "$1"', 'job', runs] as const).slice();
    // 40 queued jobs, as `jobf submit` leaves them: unowned, NEW.
    const queued: JobID[] = [];
    const store = JobStore.open(db);
    try {
      const spec = Jobspec.fromCommand(record).toJSON();
      const gen = new FluidGenerator();
      const t = Date.now() / 1000;
      store.insertJobs(
        Array.from({ length: 40 }, () => {
          const jobid = gen.next();
          queued.push(jobid);
          return { jobid, name: 'queued', backend: 'local', spec, events: [{ name: 'submit', timestamp: t, context: { urgency: 16 } }] };
        }),
      );
    } finally {
      store.close();
    }
    const own = Array.from({ length: 25 }, (_, i): ChildJob => ({ name: `own${i}`, argv: i % 5 === 4 ? ['sh', '-c', 'echo "$JOBFUTURES_JOB_ID" >> "$1"; exit 1', 'job', runs] : record }));
    const a = startChild('both', db, { jobs: own, maxCores: 3 });
    const b = startChild('both', db, { jobs: own, maxCores: 3 });
    const [ra, rb] = await Promise.all([a.proc, b.proc]);
    for (const r of [ra, rb]) {
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
    }
    const [ia, ib] = await Promise.all([a.ids, b.ids]);
    // The queued jobs went to one process or the other, never both.
    const taken = [...ia.queued, ...ib.queued].map((id) => id.f58);
    expect(taken.sort()).toEqual(queued.map((id) => id.f58).sort());
    expect(ia.ids).toHaveLength(ia.queued.length + 25);
    expect(ib.ids).toHaveLength(ib.queued.length + 25);

    // Every job ran exactly once, and the store is consistent.
    const all = [...ia.ids, ...ib.ids];
    expect(tally(lines(runs))).toEqual(new Map(all.map((id) => [id.f58, 1])));
    readStore(db, (s) => {
      const recs = s.list();
      expect(recs).toHaveLength(40 + 50);
      for (const r of recs) expect(inconsistency(r, s.events(r.jobid))).toBeUndefined();
      const owners = new Map<bigint, number | undefined>([...ia.ids.map((id) => [id.value, a.proc.pid] as const), ...ib.ids.map((id) => [id.value, b.proc.pid] as const)]);
      for (const r of recs) {
        expect(r.state).toBe('INACTIVE');
        expect(r.owner?.pid).toBe(owners.get(r.jobid.value));
        expect(s.events(r.jobid).filter((e) => e.name === 'start')).toHaveLength(1);
      }
      expect(recs.filter((r) => r.result === 'FAILED')).toHaveLength(10);
    });
  });
});
