/** The app registry on the real Slurm dev cluster: launch by name, outputs, kill semantics, MPI ranks. */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { JobExecutor } from '../../src/executor/index.js';
import { AppRegistry, pollingLoop, type AppTask } from '../../src/workflows/apps/index.js';
import { waitFor } from '../behaviour/helpers.js';
import { describeSlurm, shareCluster } from '../slurm/cluster.js';

const dir = mkdtempSync(path.join(tmpdir(), 'jobf-apps-slurm-'));
function app(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

/** Live processes whose argv contains `word` (this is a single-node cluster: the jobs run here). */
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

describeSlurm('AppRegistry on Slurm', () => {
  let release: (() => void) | undefined;
  let ex: JobExecutor;
  let apps: AppRegistry;
  // running as far as the executor knows (a task not yet seen running is canceled by kill), and its trap set
  const ready = (task: AppTask) => waitFor(() => task.poll() === 'RUNNING' && task.stdoutExists() && readFileSync(task.stdoutPath!, 'utf8').includes('ready'), 120_000, 'the app to run and say ready');
  beforeAll(async () => {
    release = await shareCluster();
    ex = new JobExecutor({ backend: 'slurm', logDir: path.join(dir, 'logs'), pollInterval: { min: 200, max: 1000 } });
    apps = new AppRegistry(ex, { workdir: path.join(dir, 'work') });
    apps.register('echo', { fullPath: app('echo-app', 'printf "%s|" "$@"; echo; echo "$PWD" > result.txt'), calcType: 'sim' });
    apps.register('stubborn', { fullPath: app('stubborn', "trap 'echo got-term' TERM; echo ready; while :; do sleep 0.05; done") });
  });
  afterAll(async () => {
    await ex?.shutdown({ cancelFutures: true });
    release?.();
  });

  it('launches by name: args, stdout in workdir, workdir files', async () => {
    const task = apps.launch({ calcType: 'sim', appArgs: `one 'two three'`, stdout: 'out.txt' });
    expect((await task).result).toBe('COMPLETED');
    expect(task.poll()).toBe('FINISHED');
    expect(await task.readStdout()).toBe('one|two three|\n');
    expect((await task.readFileInWorkdir('result.txt')).trim()).toBe(path.join(dir, 'work'));
  }, 180_000);

  // Slurm turns `scancel --signal=KILL` into its termination sequence (SIGTERM, SIGKILL after
  // KillWait), so with waitTime 0 the trap may still run there: only the end by SIGKILL is checked.
  it('kill with waitTime: SIGTERM (trapped), then SIGKILL; waitTime 0: SIGKILL', async () => {
    const [slow, fast] = [apps.launch('stubborn'), apps.launch('stubborn')];
    await Promise.all([ready(slow), ready(fast)]);
    const t0 = Date.now();
    const [rs, rf] = await Promise.all([slow.kill({ waitTime: 2_000 }), fast.kill({ waitTime: 0 })]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_900);
    expect(rs.returncode).toBe(-9);
    expect(await slow.readStdout()).toContain('got-term');
    expect(rf.returncode).toBe(-9);
    expect([slow.poll(), fast.poll()]).toEqual(['USER_KILLED', 'USER_KILLED']);
  }, 180_000);

  it('pollingLoop kills an MPI launch (4 ranks, Open MPI) on its timeout, leaving no rank', async () => {
    const marker = `${600 + Math.random()}`;
    apps.register('sleep', { fullPath: '/bin/sleep' });
    const task = apps.launch('sleep', { numProcs: 4, mpi: 'openmpi', appArgs: [marker] });
    await waitFor(() => processesWith(marker).length >= 4, 120_000, '4 ranks');
    const out = await pollingLoop(task, { timeout: 0 });
    expect(out.status).toBe('KILLED_ON_TIMEOUT');
    expect(out.state).toBe('USER_KILLED');
    await waitFor(() => processesWith(marker).length === 0, 30_000, 'no rank left');
  }, 180_000);
});
