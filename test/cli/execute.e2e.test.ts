/**
 * `jobf execute`, `jobf wait` and `jobf stop` end to end: the real bin in child processes, real job
 * processes, the store read back to check what happened.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

import type { JobID } from '../../src/ids/index.js';
import { JobStore, type JobRecord, type StoredEvent } from '../../src/store/index.js';
import { processesWithEnv, waitFor } from '../behaviour/helpers.js';
import { buildForTests } from './helpers/build.js';
import { useWorkdirs } from './helpers/workdirs.js';
import { dump, ids, jobf, jobfProcess, prepareBin } from './helpers/jobf.js';

let bin: string;
const workdir = useWorkdirs('jobf-exec-', async () => {
  await prepareBin();
  bin = join(await buildForTests(), 'src/cli/main.js');
});

/** Reads the store (read-only) with `fn`. */
function withStore<T>(db: string, fn: (store: JobStore) => T): T {
  const store = JobStore.open(db, { readonly: true });
  try {
    return store.snapshot(() => fn(store));
  } finally {
    store.close();
  }
}

function records(db: string): JobRecord[] {
  return withStore(db, (s) => s.list());
}

function record(db: string, id: JobID): JobRecord {
  const rec = withStore(db, (s) => s.get(id));
  if (!rec) throw new Error(`job ${id.f58} is not in the store`);
  return rec;
}

/** Events of the job's current attempt. */
function attemptEvents(db: string, id: JobID): StoredEvent[] {
  return withStore(db, (s) => {
    const rec = s.get(id)!;
    return s.events(id, rec.attemptSeq - 1);
  });
}

function eventTime(events: readonly StoredEvent[], name: string): number {
  const ev = events.find((e) => e.name === name);
  if (!ev) throw new Error(`no ${name} event in ${events.map((e) => e.name).join(',')}`);
  return ev.timestamp;
}

/** Most jobs that held resources at once, from their `alloc` and `free` events. */
function maxConcurrent(db: string, jobs: readonly JobID[]): number {
  const points: [number, number][] = [];
  for (const id of jobs) {
    const events = attemptEvents(db, id);
    points.push([eventTime(events, 'alloc'), +1], [eventTime(events, 'free'), -1]);
  }
  // At equal times a release comes before an allocation (the freed core is what the next job gets).
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let max = 0;
  for (const [, d] of points) max = Math.max(max, (now += d));
  return max;
}

/** A command that records its start in `log`, then waits until `gate` exists. */
function gatedJob(log: string, gate: string): string[] {
  return ['sh', '-c', 'echo "$JOBFUTURES_JOB_ID" >> "$1"; while [ ! -e "$2" ]; do sleep 0.02; done', 'job', log, gate];
}

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : [];
}

describe('jobf execute', () => {
  it('runs the queued jobs, never more than --parallel at once, array tasks with their index', async () => {
    const { cwd, db } = workdir();
    const arr = ids(await jobf(['submit', '--array', '1-6', '--', 'sh', '-c', 'sleep 0.2; echo "task $JOBFUTURES_ARRAY_INDEX"'], { cwd }));
    expect(arr).toHaveLength(6);
    const r = await jobf(['execute', '--parallel', '2'], { cwd });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const recs = records(db);
    expect(recs.map((x) => [x.state, x.result, x.returncode])).toEqual(Array(6).fill(['INACTIVE', 'COMPLETED', 0]));
    for (const rec of recs) expect(readFileSync(rec.stdout!, 'utf8')).toBe(`task ${rec.arrayIndex}\n`);
    expect(recs.map((x) => x.arrayIndex)).toEqual([1, 2, 3, 4, 5, 6]);
    // Two at a time, and really two (six jobs of 0.2 s each overlap when allowed to).
    expect(maxConcurrent(db, arr)).toBe(2);
  });

  it('--parallel 1 runs one job at a time', async () => {
    const { cwd, db } = workdir();
    const arr = ids(await jobf(['submit', '--array', '1-3', '--', 'sleep', '0.1'], { cwd }));
    expect((await jobf(['execute', '--parallel', '1'], { cwd })).exitCode).toBe(0);
    expect(maxConcurrent(db, arr)).toBe(1);
  });

  it('honours --after and --after-any', async () => {
    const { cwd, db } = workdir();
    const flag = join(cwd, 'a-done');
    const [a] = ids(await jobf(['submit', '--name', 'a', '--', 'sh', '-c', `sleep 0.3; touch ${flag}`], { cwd }));
    const [b] = ids(await jobf(['submit', '--name', 'b', '--after', a!.f58, '--', 'test', '-e', flag], { cwd }));
    const [f] = ids(await jobf(['submit', '--name', 'f', '--', 'sh', '-c', 'exit 5'], { cwd }));
    const [anyAfterF] = ids(await jobf(['submit', '--name', 'any', '--after-any', f!.f58, '--', 'true'], { cwd }));
    const [okAfterF] = ids(await jobf(['submit', '--name', 'ok', '--after', f!.f58, '--', 'true'], { cwd }));

    const r = await jobf(['execute', '--parallel', '4'], { cwd });
    expect(r.exitCode).toBe(1); // f failed, and so did the job that needed it to succeed
    expect(record(db, a!)).toMatchObject({ result: 'COMPLETED', returncode: 0 });
    expect(record(db, b!)).toMatchObject({ result: 'COMPLETED', returncode: 0 });
    expect(record(db, f!)).toMatchObject({ result: 'FAILED', returncode: 5 });
    expect(record(db, anyAfterF!)).toMatchObject({ result: 'COMPLETED', returncode: 0 });
    const ok = record(db, okAfterF!);
    expect(ok).toMatchObject({ result: 'FAILED', exception: { type: 'dependency' } });
    expect(ok.tRun).toBeUndefined();
    // b started only after a had finished; `any` only after f had.
    expect(eventTime(attemptEvents(db, b!), 'start')).toBeGreaterThanOrEqual(eventTime(attemptEvents(db, a!), 'finish'));
    expect(eventTime(attemptEvents(db, anyAfterF!), 'start')).toBeGreaterThanOrEqual(eventTime(attemptEvents(db, f!), 'finish'));
  });

  it('exits 1 when a job fails, and runs only the jobs named', async () => {
    const { cwd, db } = workdir();
    const [bad] = ids(await jobf(['submit', '--', 'sh', '-c', 'exit 3'], { cwd }));
    const [other] = ids(await jobf(['submit', '--', 'true'], { cwd }));
    const r = await jobf(['execute', bad!.f58], { cwd });
    expect(r.exitCode).toBe(1);
    expect(record(db, bad!)).toMatchObject({ result: 'FAILED', returncode: 3 });
    expect(record(db, other!).state).toBe('NEW');
    const again = await jobf(['execute'], { cwd });
    expect(again.exitCode).toBe(0);
    expect(record(db, other!).result).toBe('COMPLETED');
    expect(record(db, bad!).attempt).toBe(1); // not run again
  });

  it('a job needing more cores than --parallel still runs, alone; the jobs after it run after it', async () => {
    const { cwd, db } = workdir();
    const small = ids(await jobf(['submit', '--array', '1-3', '--', 'sleep', '0.2'], { cwd }));
    const [big] = ids(await jobf(['submit', '--name', 'big', '--cores', '2', '--', 'sleep', '0.2'], { cwd }));
    const [after] = ids(await jobf(['submit', '--name', 'after', '-d', big!.f58, '--', 'true'], { cwd }));
    const r = await jobf(['execute', '--parallel', '1'], { cwd });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('running 5 jobs, at most 1 at once (1 needing more than 1 core runs alone)');
    expect(r.stdout).toMatch(/5 jobs in .*: 5 COMPLETED/);
    const all = [...small, big!, after!];
    expect(all.map((id) => record(db, id).result)).toEqual(Array(5).fill('COMPLETED'));
    // One job at a time, the big one included; the dependent one after the big one.
    expect(maxConcurrent(db, all)).toBe(1);
    expect(eventTime(attemptEvents(db, after!), 'start')).toBeGreaterThanOrEqual(eventTime(attemptEvents(db, big!), 'finish'));
  });

  it('a job that could never run on this machine is refused at submit, writing nothing', async () => {
    const { cwd, db } = workdir();
    const r = await jobf(['submit', '--cores', '999', '--', 'true'], { cwd });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(`jobf: --cores 999: more than the ${availableParallelism()} CPUs of this machine, where "jobf execute" runs local jobs; the job could never run\n`);
    expect(dump(db)).toBeNull();
    const t = await jobf(['submit', '--tasks', '2', '--cores', String(availableParallelism()), '--', 'true'], { cwd });
    expect(t.exitCode).toBe(2);
    expect(t.stderr).toMatch(/^jobf: --tasks 2 × --cores \d+ = \d+ cores: more than the/);
  });

  it('prints plain progress lines and a summary when stdout is not a terminal', async () => {
    const { cwd } = workdir();
    const [a] = ids(await jobf(['submit', '--name', 'good', '--', 'true'], { cwd }));
    const [b] = ids(await jobf(['submit', '--name', 'bad', '--', 'sh', '-c', 'exit 4'], { cwd }));
    const r = await jobf(['execute', '--parallel', '2'], { cwd });
    expect(r.exitCode).toBe(1);
    const out = r.stdout.split('\n');
    expect(out[0]).toBe('running 2 jobs, at most 2 at once');
    // One line per job as it ends, in the order they end.
    const good = `COMPLETED  ${a!.f58}  good  exit 0`;
    const bad = `FAILED     ${b!.f58}  bad  exit 4`;
    expect([out[1], out[2]]).toEqual(out[1]!.includes(a!.f58) ? [`[1/2] ${good}`, `[2/2] ${bad}`] : [`[1/2] ${bad}`, `[2/2] ${good}`]);
    expect(out[3]).toMatch(/^2 jobs in \d+\.\ds \(\d+\.\d jobs\/s\): 1 COMPLETED, 1 FAILED$/);
    expect(r.stdout).not.toContain('\r');
  });

  it('--json prints one JSON summary', async () => {
    const { cwd } = workdir();
    const [a] = ids(await jobf(['submit', '--', 'true'], { cwd }));
    const r = await jobf(['--json', 'execute'], { cwd });
    expect(r.exitCode).toBe(0);
    const summary = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({ jobs: [{ id: a!.f58, result: 'COMPLETED', returncode: 0 }], counts: { COMPLETED: 1 }, requeued: [], interrupted: false });
  });

  it('draws a bar on a terminal (under script(1))', async (t) => {
    const script = await execa('script', ['--version'], { reject: false });
    if (script.exitCode !== 0) {
      console.warn('!!! SKIPPING the terminal progress test: script(1) is not available');
      t.skip();
      return;
    }
    const { cwd } = workdir();
    ids(await jobf(['submit', '--array', '1-4', '--', 'sleep', '0.3'], { cwd }));
    ids(await jobf(['submit', '--name', 'bad', '--', 'false'], { cwd }));
    const command = `'${process.execPath}' '${bin}' execute --parallel 2`;
    const r = await execa('script', ['-qfec', command, '/dev/null'], { cwd, env: { ...process.env, JOBF_DB: undefined, COLUMNS: '100', NO_COLOR: '1' }, reject: false, stdin: 'ignore' });
    const out = String(r.stdout);
    expect(r.exitCode).toBe(1);
    expect(out).toContain('\r');
    expect(out).toMatch(/\[#+\.*\] \d\/5 +\d running/);
    expect(out).toMatch(/\[#{10,}\] 5\/5 /); // the last redraw is full
    expect(out).toMatch(/FAILED +\S+ +bad +exit 1/); // failures get a line of their own
    expect(out).not.toMatch(/COMPLETED +\S+ +sleep/); // successes do not
    expect(out).toMatch(/5 jobs in \d+\.\ds \(\d+\.\d jobs\/s\): 4 COMPLETED, 1 FAILED/);
  });

  it('Ctrl-C ends the running jobs and puts them back in the queue; the next execute finishes them', async () => {
    const { cwd, db } = workdir();
    const log = join(cwd, 'started');
    const gate = join(cwd, 'gate');
    const mark = `ctrlc-${process.pid}-${randomUUID()}`;
    const jobs = ids(await jobf(['submit', '--array', '1-4', '--env', `JOBF_TEST_MARK=${mark}`, '--', ...gatedJob(log, gate)], { cwd }));
    const first = jobfProcess(['execute', '--parallel', '2'], { cwd });
    await waitFor(() => records(db).filter((r) => r.state === 'RUN').length === 2 && lines(log).length === 2, 20_000, 'two running jobs');
    first.kill('SIGINT');
    const r1 = await first;
    expect(r1.exitCode).toBe(130);
    expect(String(r1.stderr)).toMatch(/^jobf: interrupted: 4 jobs put back in the queue \(run "jobf execute" to go on\): /);
    for (const id of jobs) expect(String(r1.stderr)).toContain(id.f58);
    expect(processesWithEnv('JOBF_TEST_MARK', mark)).toEqual([]);
    // Queued again, unowned, a new attempt; the old attempt ended CANCELED.
    for (const id of jobs) {
      const rec = record(db, id);
      expect(rec).toMatchObject({ state: 'NEW', attempt: 2 });
      expect(rec.owner).toBeUndefined();
      const old = withStore(db, (s) => s.events(id)).filter((e) => e.attempt === 1);
      expect(old.find((e) => e.name === 'exception')?.context).toMatchObject({ type: 'cancel' });
    }
    expect(lines(log)).toHaveLength(2); // the two queued ones never started

    writeFileSync(gate, '');
    const r2 = await jobf(['execute', '--parallel', '2'], { cwd });
    expect(r2.exitCode).toBe(0);
    expect(records(db).map((r) => [r.result, r.attempt])).toEqual(Array(4).fill(['COMPLETED', 2]));
    expect(lines(log)).toHaveLength(6); // the two interrupted ones ran again, the others once
  });
});

describe('jobf wait', () => {
  it('waits for jobs run by another process; exit 0 if all completed, 1 otherwise', async () => {
    const { cwd } = workdir();
    const [ok] = ids(await jobf(['submit', '--', 'true'], { cwd }));
    const [bad] = ids(await jobf(['submit', '--', 'sh', '-c', 'exit 2'], { cwd }));
    const waiting = jobfProcess(['wait', ok!.f58], { cwd });
    let stderr = '';
    waiting.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    // It is waiting: it says the job waits for "jobf execute".
    await waitFor(() => stderr.includes('waits in the queue for "jobf execute"'), 20_000, 'the note of jobf wait');
    expect(waiting.exitCode).toBeNull();
    expect((await jobf(['execute'], { cwd })).exitCode).toBe(1);
    const w = await waiting;
    expect(w.exitCode).toBe(0);
    expect(String(w.stdout)).toBe(`${ok!.f58}  COMPLETED  exit 0\n`);

    expect((await jobf(['wait', bad!.f58], { cwd })).exitCode).toBe(1);
    const both = await jobf(['wait', ok!.f58, bad!.f58], { cwd });
    expect(both.exitCode).toBe(1);
    expect(both.stdout).toBe(`${ok!.f58}  COMPLETED  exit 0\n${bad!.f58}  FAILED  exit 2\n`);
    // Nothing active: nothing to wait for.
    expect(await jobf(['wait'], { cwd })).toEqual({ exitCode: 0, stdout: '', stderr: '' });
  });

  it('follows a job whose jobf execute was killed to its real end', async () => {
    const { cwd, db } = workdir();
    const gate = join(cwd, 'gate');
    const [id] = ids(await jobf(['submit', '--', 'sh', '-c', `while [ ! -e ${gate} ]; do sleep 0.02; done; exit 6`], { cwd }));
    const exec = jobfProcess(['execute'], { cwd });
    await waitFor(() => record(db, id!).tRun !== undefined, 20_000, 'the job to start');
    exec.kill('SIGKILL');
    await exec;
    const waiting = jobf(['wait', id!.f58], { cwd });
    // jobf wait takes the job over...
    await waitFor(() => record(db, id!).owner?.pid !== exec.pid, 20_000, 'jobf wait to take the job over');
    writeFileSync(gate, '');
    const w = await waiting;
    // ...and records the exit status the job's own wrapper left.
    expect(w.exitCode).toBe(1);
    expect(w.stdout).toBe(`${id!.f58}  FAILED  exit 6\n`);
    expect(record(db, id!)).toMatchObject({ state: 'INACTIVE', result: 'FAILED', returncode: 6 });
  });
});

describe('jobf stop', () => {
  it('stops a running job of a live jobf execute: CANCELED, its processes gone, the others run on', async () => {
    const { cwd, db } = workdir();
    const mark = `stop-${process.pid}-${randomUUID()}`;
    const [long] = ids(await jobf(['submit', '--env', `JOBF_TEST_MARK=${mark}`, '--', 'sleep', '60'], { cwd }));
    const [short] = ids(await jobf(['submit', '--', 'sleep', '0.2'], { cwd }));
    const exec = jobfProcess(['execute', '--parallel', '2'], { cwd });
    await waitFor(() => record(db, long!).state === 'RUN' && processesWithEnv('JOBF_TEST_MARK', mark).length > 0, 20_000, 'the long job to run');
    const r = await jobf(['stop', long!.f58], { cwd });
    expect(r).toEqual({ exitCode: 0, stdout: `${long!.f58}\n`, stderr: '' });
    // Once stop returns, the job is over.
    expect(record(db, long!)).toMatchObject({ state: 'INACTIVE', result: 'CANCELED', exception: { type: 'cancel' } });
    await waitFor(() => processesWithEnv('JOBF_TEST_MARK', mark).length === 0, 10_000, 'the job processes to end');
    const e = await exec;
    expect(e.exitCode).toBe(1); // one job did not complete
    expect(String(e.stdout)).toMatch(/1 COMPLETED, 1 CANCELED/);
    expect(record(db, short!).result).toBe('COMPLETED');
  });

  it('stops a queued job that nobody runs: it never runs', async () => {
    const { cwd, db } = workdir();
    const [a] = ids(await jobf(['submit', '--', 'true'], { cwd }));
    const [b] = ids(await jobf(['submit', '--after', a!.f58, '--', 'true'], { cwd }));
    // It prints what it stopped; a job typed in another encoding that had already ended gets a note.
    expect(await jobf(['stop', a!.f58], { cwd })).toEqual({ exitCode: 0, stdout: `${a!.f58}\n`, stderr: '' });
    expect(await jobf(['stop', a!.dec], { cwd })).toEqual({
      exitCode: 0,
      stdout: '',
      stderr: `jobf: note: job ${a!.dec} had already ended (CANCELED): not stopped\n`,
    });
    expect(record(db, a!)).toMatchObject({ state: 'INACTIVE', result: 'CANCELED', returncode: -128 });
    expect(withStore(db, (s) => s.events(a!)).map((e) => e.name)).toEqual(['submit', 'exception', 'clean']);
    // Its dependent cannot run now.
    expect((await jobf(['execute'], { cwd })).exitCode).toBe(1);
    expect(record(db, b!)).toMatchObject({ result: 'FAILED', exception: { type: 'dependency' } });
    expect(record(db, a!).tRun).toBeUndefined();
    const [c] = ids(await jobf(['submit', '--', 'true'], { cwd }));
    expect(await jobf(['--json', 'stop'], { cwd })).toEqual({ exitCode: 0, stdout: `["${c!.f58}"]\n`, stderr: '' });
    expect(await jobf(['stop'], { cwd })).toEqual({ exitCode: 0, stdout: '', stderr: 'jobf: no active jobs to stop\n' });
  });

  it('jobf delete stops a running job first', async () => {
    const { cwd, db } = workdir();
    const mark = `del-${process.pid}-${randomUUID()}`;
    const [id] = ids(await jobf(['submit', '--env', `JOBF_TEST_MARK=${mark}`, '--', 'sleep', '60'], { cwd }));
    const exec = jobfProcess(['execute'], { cwd });
    await waitFor(() => record(db, id!).state === 'RUN', 20_000, 'the job to run');
    const r = await jobf(['delete', id!.f58], { cwd });
    expect(r).toEqual({ exitCode: 0, stdout: `${id!.f58}\n`, stderr: '' });
    expect(withStore(db, (s) => s.get(id!))).toBeUndefined();
    await waitFor(() => processesWithEnv('JOBF_TEST_MARK', mark).length === 0, 10_000, 'the job processes to end');
    await exec;
  });
});
