/**
 * The inbox watcher, a parameter scan and the app registry on the real Grid Engine cell (skipped
 * with one loud line without one), as on Slurm (`slurm.test.ts`, `apps-slurm.test.ts`): Grid
 * Engine writes each job's output files into its folder; a failed job gets job_error.txt; a
 * watcher killed with SIGKILL and restarted loses no job and runs none twice; scan points are
 * rebuilt from their files after the store is deleted; an app is launched by name and killed.
 * One task per job here: multi-task Grid Engine jobs need MPI (not tested here).
 */
import { randomInt } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { JobExecutor } from '../../src/executor/index.js';
import { AppRegistry, pollingLoop, type AppTask } from '../../src/workflows/apps/index.js';
import { loadRuns, scan } from '../../src/workflows/scan/index.js';
import { setupWatchRoot, watchInbox, type WatchEvent } from '../../src/workflows/watch/index.js';
import { describeSge } from '../sge/cluster.js';
import { waitFor } from '../behaviour/helpers.js';
import { jobf, jobfProcess, prepareBin } from '../cli/helpers/jobf.js';
import { tempDir } from '../store/helpers.js';
import { dropJob, lines, names, text } from './helpers.js';

/** Live processes whose argv contains `word` (this is a single-host cell: the jobs run here). */
function processesWith(word: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').includes(word) && !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3))) out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

await describeSge('workflows on Grid Engine', () => {
  let base = '';
  let cleanup = (): void => {};
  beforeAll(async () => {
    await prepareBin();
    // Under /tmp: this single-host cell shares it (scripts, status files, outputs).
    ({ dir: base, cleanup } = tempDir('jobf-wf-sge-'));
  }, 320_000);
  afterAll(() => cleanup());

  it('watcher: alphabetical submission, the scheduler\'s output files in the folder, job_error.txt for a failure', async () => {
    const root = join(base, 'watch');
    setupWatchRoot(root);
    dropJob(root, '110', 'echo out-110; echo err-110 >&2\n');
    dropJob(root, '100', 'echo out-100; pwd\n');
    dropJob(root, '120', 'exit 5\n');
    const events: WatchEvent[] = [];
    const summary = await watchInbox({ root, backend: 'sge', period: 0.2, parallel: 1, exitWhenIdle: true, onEvent: (e) => events.push(e) });
    expect(summary).toEqual({ submitted: 3, completed: 3, failed: 1 });
    expect(events.filter((e) => e.type === 'submit').map((e) => (e as { folder: string }).folder)).toEqual(['100', '110', '120']);
    expect(names(join(root, 'complete'))).toEqual(['100', '110', '120']);
    const id = text(join(root, 'complete', '110', 'job_id.txt'));
    expect(names(join(root, 'complete', '110'))).toEqual([`job.${id}.err`, `job.${id}.out`, 'job.sh', 'job_id.txt', 'job_status.txt'].sort());
    expect(text(join(root, 'complete', '110', `job.${id}.out`))).toBe('out-110');
    expect(text(join(root, 'complete', '110', `job.${id}.err`))).toBe('err-110');
    const status = lines(join(root, 'complete', '110', 'job_status.txt'));
    expect(status[0]).toBe('COMPLETED 0');
    expect(status[1]).toMatch(/^native \d+(\.\d+)?$/); // the Grid Engine job id
    const id100 = text(join(root, 'complete', '100', 'job_id.txt'));
    expect(lines(join(root, 'complete', '100', `job.${id100}.out`))).toEqual(['out-100', join(root, 'pending', '100')]);
    expect(text(join(root, 'complete', '120', 'job_error.txt'))).toBe('FAILED: exit code 5');
  }, 300_000);

  it('a job the scheduler refuses before it runs gets job_error.txt with the scheduler\'s reason, in complete/', async () => {
    const root = join(base, 'refused');
    setupWatchRoot(root);
    dropJob(root, 'r', 'echo never\n');
    const summary = await watchInbox({ root, backend: 'sge', backendOptions: { queue: 'no-such-queue' }, period: 0.2, exitWhenIdle: true });
    expect(summary).toEqual({ submitted: 1, completed: 1, failed: 1 });
    expect(text(join(root, 'complete', 'r', 'job_error.txt'))).toMatch(/^FAILED: \w+: .*queue/i);
    expect(lines(join(root, 'complete', 'r', 'job_status.txt'))[0]).toMatch(/^FAILED /);
  }, 300_000);

  it('jobf --backend sge watch killed with SIGKILL mid-way, 5 times: every folder completes, each job ran once', async () => {
    const root = join(base, 'crash');
    const log = join(base, 'crash.log');
    setupWatchRoot(root);
    const all = Array.from({ length: 12 }, (_, i) => `f${String(i).padStart(2, '0')}`);
    for (const name of all) dropJob(root, name, `echo ${name} >> ${log}\nsleep 2\n`);
    for (let k = 0; k < 5; k++) {
      const w = jobfProcess(['--backend', 'sge', 'watch', '--root', root, '--period', '0.1', '--parallel', '3'], { cwd: base });
      let out = '';
      w.stdout?.on('data', (d: Buffer) => void (out += d.toString()));
      // (a restart after every job ended prints nothing more: it has nothing to submit or follow)
      await waitFor(() => out.includes('submitted') || out.includes('following') || w.exitCode !== null || names(join(root, 'complete')).length === all.length, 120_000, 'a submission');
      await new Promise((r) => setTimeout(r, randomInt(0, 1500)));
      w.kill('SIGKILL');
      await w;
    }
    const last = await jobf(['--backend', 'sge', 'watch', '--root', root, '--period', '0.1', '--parallel', '3', '--exit-when-idle'], { cwd: base });
    expect(last.stderr).toBe('');
    expect(last.exitCode).toBe(0);
    expect(names(join(root, 'complete'))).toEqual(all);
    for (const name of all) expect(lines(join(root, 'complete', name, 'job_status.txt'))[0]).toBe('COMPLETED 0');
    expect(lines(log).sort()).toEqual(all);
  }, 600_000);

  it('scan: points run by Grid Engine in their folders, rebuilt from the files after the store is deleted', async () => {
    const root = join(base, 'scan');
    const db = join(base, 'scan.db');
    {
      await using ex = new JobExecutor({ backend: 'sge', store: db, logDir: join(base, 'logs') });
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
    expect(runs[0]!.end?.nativeId).toMatch(/^\d+(\.\d+)?$/);
  }, 300_000);

  it('jobf --backend sge scan, then jobf runs --json from the files after the store is deleted', async () => {
    const cwd = join(base, 'cli-scan');
    mkdirSync(cwd);
    const s = await jobf(['--backend', 'sge', 'scan', '--root', 'runs', '--param', 'a=1,2', '--', 'sh', '-c', 'echo {a}; [ {a} = 1 ]'], { cwd });
    expect(s.stderr).toBe('');
    expect(s.exitCode).toBe(1); // a=2 fails
    expect(text(join(cwd, 'runs', 'point_000', 'stdout.txt'))).toBe('1');
    rmSync(join(cwd, 'jobs.db'));
    const j = await jobf(['runs', 'runs', '--json'], { cwd });
    expect(j.exitCode).toBe(0);
    const runs = JSON.parse(j.stdout) as { name: string; status: string; returncode: number; params: object }[];
    expect(runs.map((x) => [x.name, x.status, x.returncode, x.params])).toEqual([
      ['point_000', 'SUCCESSFUL', 0, { a: '1' }],
      ['point_001', 'FAILED', 1, { a: '2' }],
    ]);
  }, 300_000);

  it('app registry: launch by name (args, stdout, workdir files); kill with waitTime: SIGTERM (trapped), then SIGKILL', async () => {
    const app = (name: string, body: string): string => {
      const file = join(base, name);
      writeFileSync(file, `#!/bin/sh\n${body}\n`);
      chmodSync(file, 0o755);
      return file;
    };
    await using ex = new JobExecutor({ backend: 'sge', logDir: join(base, 'app-logs'), pollInterval: { min: 200, max: 1000 } });
    const apps = new AppRegistry(ex, { workdir: join(base, 'work') });
    apps.register('echo', { fullPath: app('echo-app', 'printf "%s|" "$@"; echo; echo "$PWD" > result.txt'), calcType: 'sim' });
    apps.register('stubborn', { fullPath: app('stubborn', "trap 'echo got-term' TERM; echo ready; while :; do sleep 0.05; done") });

    const task = apps.launch({ calcType: 'sim', appArgs: `one 'two three'`, stdout: 'out.txt' });
    expect((await task).result).toBe('COMPLETED');
    expect(task.poll()).toBe('FINISHED');
    expect(await task.readStdout()).toBe('one|two three|\n');
    expect((await task.readFileInWorkdir('result.txt')).trim()).toBe(join(base, 'work'));

    const ready = (t: AppTask) => waitFor(() => t.poll() === 'RUNNING' && t.stdoutExists() && readFileSync(t.stdoutPath!, 'utf8').includes('ready'), 120_000, 'the app to run and say ready');
    const [slow, fast] = [apps.launch('stubborn'), apps.launch('stubborn')];
    await Promise.all([ready(slow), ready(fast)]);
    const t0 = Date.now();
    const [rs, rf] = await Promise.all([slow.kill({ waitTime: 2_000 }), fast.kill({ waitTime: 0 })]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_900);
    expect(rs.returncode).toBe(-9);
    expect(await slow.readStdout()).toContain('got-term');
    expect(rf.returncode).toBe(-9);
    expect(await fast.readStdout()).not.toContain('got-term');
    expect([slow.poll(), fast.poll()]).toEqual(['USER_KILLED', 'USER_KILLED']);
  }, 300_000);

  it('app registry: pollingLoop kills a running app (one process) on its timeout, leaving no process', async () => {
    await using ex = new JobExecutor({ backend: 'sge', logDir: join(base, 'app-logs-loop'), pollInterval: { min: 200, max: 1000 } });
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
});
