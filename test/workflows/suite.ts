/**
 * The workflow tests every scheduler backend must pass, on the real engine: the inbox watcher (the
 * scheduler writes each job's output files into its folder; a failed job gets job_error.txt; a
 * watcher killed with SIGKILL and restarted loses no job and runs none twice), parameter scans
 * rebuilt from their files after the store is deleted (library and `jobf scan` + `jobf runs`), and
 * the app registry (launch by name, kill semantics, pollingLoop). `describeWorkflowSuite` is called
 * once per backend, inside that backend's describe (`test/workflows/<backend>.test.ts`).
 */
import { randomInt } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { JobExecutor, type JobExecutorOptions } from '../../src/executor/index.js';
import { AppRegistry, pollingLoop, type AppTask } from '../../src/workflows/apps/index.js';
import { loadRuns, scan } from '../../src/workflows/scan/index.js';
import { setupWatchRoot, watchInbox, type WatchEvent } from '../../src/workflows/watch/index.js';
import { waitFor } from '../behaviour/helpers.js';
import { jobf, jobfProcess, prepareBin } from '../cli/helpers/jobf.js';
import { tempDir } from '../store/helpers.js';
import { dropJob, lines, names, processesWith, text, writeApp } from './helpers.js';

/** What the workflow suite needs to know about a backend. */
export interface WorkflowTarget {
  /** The engine's name in test titles ('Slurm', 'Grid Engine', 'Flux'). */
  readonly name: string;
  readonly backend: 'slurm' | 'sge' | 'flux';
  /** Options of every executor and watcher (Flux's `uri`). */
  readonly backendOptions?: Readonly<Record<string, unknown>>;
  /** Extra options of the app registry's executors (e.g. a poll interval). */
  readonly appExecutorOptions?: Readonly<Record<string, unknown>>;
  /** Environment of the `jobf` processes (Flux's FLUX_URI). */
  readonly env?: Record<string, string>;
  /** The native id of a single job. */
  readonly nativeId: RegExp;
  /** The native id of a scan point (points of one shape may go out as one array). */
  readonly pointNativeId: RegExp;
  /** How long each job of the crash test sleeps (s). */
  readonly crashJobSleep: number;
  /** The return code of a task killed by signal `n` (Flux's job shell reports 128+N). */
  killedBySignal(n: number): number;
  /** kill({ waitTime: 0 }) reaches the task with SIGKILL only (no trapped SIGTERM first). */
  readonly killZeroSkipsTerm: boolean;
  /** Options that make the scheduler refuse a job, and what its reason says; absent: none is provoked. */
  readonly refuse?: { readonly backendOptions: Readonly<Record<string, unknown>>; readonly errorPattern: RegExp };
}

/** The `it`s of the workflow suite on `target`'s backend (call inside the backend's describe). */
export function describeWorkflowSuite(target: WorkflowTarget): void {
  const { backend, env } = target;
  const executor = (options: Record<string, unknown>) => new JobExecutor({ ...target.backendOptions, ...options, backend } as JobExecutorOptions);
  let base = '';
  let cleanup = (): void => {};
  beforeAll(async () => {
    await prepareBin();
    // Under /tmp: the dev engines run on this machine and share it (scripts, status files, outputs).
    ({ dir: base, cleanup } = tempDir(`jobf-wf-${backend}-`));
  }, 320_000);
  afterAll(() => cleanup());

  it('watcher: alphabetical submission, the scheduler\'s output files in the folder, job_error.txt for a failure', async () => {
    const root = join(base, 'watch');
    setupWatchRoot(root);
    dropJob(root, '110', 'echo out-110; echo err-110 >&2\n');
    dropJob(root, '100', 'echo out-100; pwd\n');
    dropJob(root, '120', 'exit 5\n');
    const events: WatchEvent[] = [];
    const summary = await watchInbox({ root, backend, backendOptions: target.backendOptions, period: 0.2, parallel: 1, exitWhenIdle: true, onEvent: (e) => events.push(e) });
    expect(summary).toEqual({ submitted: 3, completed: 3, failed: 1 });
    expect(events.filter((e) => e.type === 'submit').map((e) => (e as { folder: string }).folder)).toEqual(['100', '110', '120']);
    expect(names(join(root, 'complete'))).toEqual(['100', '110', '120']);
    const id = text(join(root, 'complete', '110', 'job_id.txt'));
    expect(names(join(root, 'complete', '110'))).toEqual([`job.${id}.err`, `job.${id}.out`, 'job.sh', 'job_id.txt', 'job_status.txt'].sort());
    expect(text(join(root, 'complete', '110', `job.${id}.out`))).toBe('out-110');
    expect(text(join(root, 'complete', '110', `job.${id}.err`))).toBe('err-110');
    const status = lines(join(root, 'complete', '110', 'job_status.txt'));
    expect(status[0]).toBe('COMPLETED 0');
    expect(status[1]).toMatch(new RegExp(`^native ${target.nativeId.source.replace(/^\^/, '')}`)); // the scheduler's job id
    const id100 = text(join(root, 'complete', '100', 'job_id.txt'));
    expect(lines(join(root, 'complete', '100', `job.${id100}.out`))).toEqual(['out-100', join(root, 'pending', '100')]);
    expect(text(join(root, 'complete', '120', 'job_error.txt'))).toBe('FAILED: exit code 5');
  }, 300_000);

  const refuse = target.refuse;
  if (refuse) {
    it('a job the scheduler refuses before it runs gets job_error.txt with the scheduler\'s reason, in complete/', async () => {
      const root = join(base, 'refused');
      setupWatchRoot(root);
      dropJob(root, 'r', 'echo never\n');
      const summary = await watchInbox({ root, backend, backendOptions: { ...target.backendOptions, ...refuse.backendOptions }, period: 0.2, exitWhenIdle: true });
      expect(summary).toEqual({ submitted: 1, completed: 1, failed: 1 });
      expect(text(join(root, 'complete', 'r', 'job_error.txt'))).toMatch(refuse.errorPattern);
      expect(lines(join(root, 'complete', 'r', 'job_status.txt'))[0]).toMatch(/^FAILED /);
    }, 300_000);
  }

  it(`jobf --backend ${backend} watch killed with SIGKILL mid-way, 5 times: every folder completes, each job ran once`, async () => {
    const root = join(base, 'crash');
    const log = join(base, 'crash.log');
    setupWatchRoot(root);
    const all = Array.from({ length: 12 }, (_, i) => `f${String(i).padStart(2, '0')}`);
    for (const name of all) dropJob(root, name, `echo ${name} >> ${log}\nsleep ${target.crashJobSleep}\n`);
    const watch = ['--backend', backend, 'watch', '--root', root, '--period', '0.1', '--parallel', '3'];
    for (let k = 0; k < 5; k++) {
      const w = jobfProcess(watch, { cwd: base, env });
      let out = '';
      w.stdout?.on('data', (d: Buffer) => void (out += d.toString()));
      // (a restart after every job ended prints nothing more: it has nothing to submit or follow)
      await waitFor(() => out.includes('submitted') || out.includes('following') || w.exitCode !== null || names(join(root, 'complete')).length === all.length, 120_000, 'a submission');
      await new Promise((r) => setTimeout(r, randomInt(0, 1500)));
      w.kill('SIGKILL');
      await w;
    }
    const last = await jobf([...watch, '--exit-when-idle'], { cwd: base, env });
    expect(last.stderr).toBe('');
    expect(last.exitCode).toBe(0);
    expect(names(join(root, 'complete'))).toEqual(all);
    for (const name of all) expect(lines(join(root, 'complete', name, 'job_status.txt'))[0]).toBe('COMPLETED 0');
    expect(lines(log).sort()).toEqual(all);
  }, 600_000);

  it(`scan: points run by ${target.name} in their folders, rebuilt from the files after the store is deleted`, async () => {
    const root = join(base, 'scan');
    const db = join(base, 'scan.db');
    {
      await using ex = executor({ store: db, logDir: join(base, 'logs') });
      const points = scan(ex, { root, params: { a: [0, 3], b: ['x'] }, command: ['sh', '-c', 'echo {a}{b}; exit {a}'] });
      await Promise.all(points.map((p) => p.ended));
    }
    for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
    const runs = loadRuns(root);
    expect(runs.map((r) => [r.name, r.status, r.result, r.returncode, r.params])).toEqual([
      ['point_000', 'SUCCESSFUL', 'COMPLETED', 0, { a: 0, b: 'x' }],
      ['point_001', 'FAILED', 'FAILED', 3, { a: 3, b: 'x' }],
    ]);
    expect(text(join(root, 'point_001', 'stdout.txt'))).toBe('3x');
    expect(runs[0]!.end?.nativeId).toMatch(target.pointNativeId);
  }, 300_000);

  it(`jobf --backend ${backend} scan, then jobf runs --json from the files after the store is deleted`, async () => {
    const cwd = join(base, 'cli-scan');
    mkdirSync(cwd);
    const s = await jobf(['--backend', backend, 'scan', '--root', 'runs', '--param', 'a=1,2', '--', 'sh', '-c', 'echo {a}; [ {a} = 1 ]'], { cwd, env });
    expect(s.stderr).toBe('');
    expect(s.exitCode).toBe(1); // a=2 fails
    expect(text(join(cwd, 'runs', 'point_000', 'stdout.txt'))).toBe('1');
    rmSync(join(cwd, 'jobs.db'));
    const j = await jobf(['runs', 'runs', '--json'], { cwd, env });
    expect(j.exitCode).toBe(0);
    const runs = JSON.parse(j.stdout) as { name: string; status: string; returncode: number; params: object }[];
    expect(runs.map((x) => [x.name, x.status, x.returncode, x.params])).toEqual([
      ['point_000', 'SUCCESSFUL', 0, { a: '1' }],
      ['point_001', 'FAILED', 1, { a: '2' }],
    ]);
  }, 300_000);

  const appExecutor = (logs: string) => executor({ ...target.appExecutorOptions, logDir: join(base, logs) });
  const killed = target.killedBySignal(9);

  it(`app registry: launch by name (args, stdout, workdir files); kill with waitTime: SIGTERM (trapped), then SIGKILL (return code ${killed})`, async () => {
    await using ex = appExecutor('app-logs');
    const apps = new AppRegistry(ex, { workdir: join(base, 'work') });
    apps.register('echo', { fullPath: writeApp(base, 'echo-app', 'printf "%s|" "$@"; echo; echo "$PWD" > result.txt'), calcType: 'sim' });
    apps.register('stubborn', { fullPath: writeApp(base, 'stubborn', "trap 'echo got-term' TERM; echo ready; while :; do sleep 0.05; done") });

    const task = apps.launch({ calcType: 'sim', appArgs: `one 'two three'`, stdout: 'out.txt' });
    expect((await task).result).toBe('COMPLETED');
    expect(task.poll()).toBe('FINISHED');
    expect(await task.readStdout()).toBe('one|two three|\n');
    expect((await task.readFileInWorkdir('result.txt')).trim()).toBe(join(base, 'work'));

    // running as far as the executor knows (a task not yet seen running is canceled by kill), and its trap set
    const ready = (t: AppTask) => waitFor(() => t.poll() === 'RUNNING' && t.stdoutExists() && readFileSync(t.stdoutPath!, 'utf8').includes('ready'), 120_000, 'the app to run and say ready');
    const [slow, fast] = [apps.launch('stubborn'), apps.launch('stubborn')];
    await Promise.all([ready(slow), ready(fast)]);
    const t0 = Date.now();
    const [rs, rf] = await Promise.all([slow.kill({ waitTime: 2_000 }), fast.kill({ waitTime: 0 })]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_900);
    expect(rs.returncode).toBe(killed);
    expect(await slow.readStdout()).toContain('got-term');
    expect(rf.returncode).toBe(killed);
    if (target.killZeroSkipsTerm) expect(await fast.readStdout()).not.toContain('got-term');
    expect([slow.poll(), fast.poll()]).toEqual(['USER_KILLED', 'USER_KILLED']);
  }, 300_000);

  it('app registry: pollingLoop kills a running app (one process) on its timeout, leaving no process', async () => {
    await using ex = appExecutor('app-logs-loop');
    const apps = new AppRegistry(ex, { workdir: join(base, 'work-loop') });
    const marker = `${600 + Math.random()}`;
    apps.register('sleep', { fullPath: '/bin/sleep' });
    const task = apps.launch('sleep', { appArgs: [marker] });
    await waitFor(() => processesWith(marker).length >= 1 && task.poll() === 'RUNNING', 120_000, 'the app to run');
    const out = await pollingLoop(task, { timeout: 0 });
    expect(out.status).toBe('KILLED_ON_TIMEOUT');
    expect(out.state).toBe('USER_KILLED');
    await waitFor(() => processesWith(marker).length === 0, 60_000, 'no process left');
  }, 300_000);
}

/**
 * pollingLoop kills an MPI launch (4 ranks, Open MPI) on its timeout, leaving no rank: for the
 * backends that run MPI apps (called by their files, with their executor).
 */
export async function pollingLoopKillsMpiRanks(ex: JobExecutor, workdir: string): Promise<void> {
  const apps = new AppRegistry(ex, { workdir });
  const marker = `${600 + Math.random()}`;
  apps.register('sleep', { fullPath: '/bin/sleep' });
  const task = apps.launch('sleep', { numProcs: 4, mpi: 'openmpi', appArgs: [marker] });
  await waitFor(() => processesWith(marker).length >= 4, 120_000, '4 ranks');
  const out = await pollingLoop(task, { timeout: 0 });
  expect(out.status).toBe('KILLED_ON_TIMEOUT');
  expect(out.state).toBe('USER_KILLED');
  await waitFor(() => processesWith(marker).length === 0, 30_000, 'no rank left');
}
