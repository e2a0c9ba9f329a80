/**
 * The inbox watcher and a parameter scan on a real Slurm cluster (skipped with one loud line
 * without one): the scheduler writes each job's output files into its folder; a failed job gets
 * job_error.txt; scan points are rebuilt from their files after the store is deleted.
 */
import { randomInt } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { JobExecutor } from '../../src/executor/index.js';
import { loadRuns, scan } from '../../src/workflows/scan/index.js';
import { setupWatchRoot, watchInbox, type WatchEvent } from '../../src/workflows/watch/index.js';
import { describeSlurm, shareCluster } from '../slurm/cluster.js';
import { waitFor } from '../behaviour/helpers.js';
import { jobf, jobfProcess, prepareBin } from '../cli/helpers/jobf.js';
import { tempDir } from '../store/helpers.js';
import { dropJob, lines, names, text } from './helpers.js';

describeSlurm('workflows on Slurm', () => {
  let base = '';
  let cleanup = (): void => {};
  let release: (() => void) | undefined;
  beforeAll(async () => {
    await prepareBin();
    release = await shareCluster();
    // Under /tmp: this dev cluster's single node shares it.
    ({ dir: base, cleanup } = tempDir('jobf-wf-slurm-'));
  }, 320_000);
  afterAll(() => {
    release?.();
    cleanup();
  });

  it('watcher: alphabetical submission, the scheduler\'s output files in the folder, job_error.txt for a failure', async () => {
    const root = join(base, 'watch');
    setupWatchRoot(root);
    dropJob(root, '110', 'echo out-110; echo err-110 >&2\n');
    dropJob(root, '100', 'echo out-100; pwd\n');
    dropJob(root, '120', 'exit 5\n');
    const events: WatchEvent[] = [];
    const summary = await watchInbox({ root, backend: 'slurm', period: 0.2, parallel: 1, exitWhenIdle: true, onEvent: (e) => events.push(e) });
    expect(summary).toEqual({ submitted: 3, completed: 3, failed: 1 });
    expect(events.filter((e) => e.type === 'submit').map((e) => (e as { folder: string }).folder)).toEqual(['100', '110', '120']);
    expect(names(join(root, 'complete'))).toEqual(['100', '110', '120']);
    const id = text(join(root, 'complete', '110', 'job_id.txt'));
    expect(names(join(root, 'complete', '110'))).toEqual([`job.${id}.err`, `job.${id}.out`, 'job.sh', 'job_id.txt', 'job_status.txt'].sort());
    expect(text(join(root, 'complete', '110', `job.${id}.out`))).toBe('out-110');
    expect(text(join(root, 'complete', '110', `job.${id}.err`))).toBe('err-110');
    const status = lines(join(root, 'complete', '110', 'job_status.txt'));
    expect(status[0]).toBe('COMPLETED 0');
    expect(status[1]).toMatch(/^native \d+$/); // the Slurm job id
    const id100 = text(join(root, 'complete', '100', 'job_id.txt'));
    expect(lines(join(root, 'complete', '100', `job.${id100}.out`))).toEqual(['out-100', join(root, 'pending', '100')]);
    expect(text(join(root, 'complete', '120', 'job_error.txt'))).toBe('FAILED: exit code 5');
  }, 300_000);

  it('a job the scheduler refuses before it runs gets job_error.txt with the scheduler\'s reason, in complete/', async () => {
    const root = join(base, 'refused');
    setupWatchRoot(root);
    dropJob(root, 'r', 'echo never\n');
    const summary = await watchInbox({ root, backend: 'slurm', backendOptions: { partition: 'no-such-partition' }, period: 0.2, exitWhenIdle: true });
    expect(summary).toEqual({ submitted: 1, completed: 1, failed: 1 });
    expect(text(join(root, 'complete', 'r', 'job_error.txt'))).toMatch(/^FAILED: \w+: .*partition/i);
    expect(lines(join(root, 'complete', 'r', 'job_status.txt'))[0]).toMatch(/^FAILED /);
  }, 300_000);

  it('jobf --backend slurm watch killed with SIGKILL mid-way, 5 times: every folder completes, each job ran once', async () => {
    const root = join(base, 'crash');
    const log = join(base, 'crash.log');
    setupWatchRoot(root);
    const all = Array.from({ length: 12 }, (_, i) => `f${String(i).padStart(2, '0')}`);
    for (const name of all) dropJob(root, name, `echo ${name} >> ${log}\nsleep 1\n`);
    for (let k = 0; k < 5; k++) {
      const w = jobfProcess(['--backend', 'slurm', 'watch', '--root', root, '--period', '0.1', '--parallel', '3'], { cwd: base });
      let out = '';
      w.stdout?.on('data', (d: Buffer) => void (out += d.toString()));
      await waitFor(() => out.includes('submitted') || out.includes('following') || w.exitCode !== null, 120_000, 'a submission');
      await new Promise((r) => setTimeout(r, randomInt(0, 1500)));
      w.kill('SIGKILL');
      await w;
    }
    const last = await jobf(['--backend', 'slurm', 'watch', '--root', root, '--period', '0.1', '--parallel', '3', '--exit-when-idle'], { cwd: base });
    expect(last.stderr).toBe('');
    expect(last.exitCode).toBe(0);
    expect(names(join(root, 'complete'))).toEqual(all);
    for (const name of all) expect(lines(join(root, 'complete', name, 'job_status.txt'))[0]).toBe('COMPLETED 0');
    expect(lines(log).sort()).toEqual(all);
  }, 600_000);

  it('scan: points run by Slurm in their folders, rebuilt from the files after the store is deleted', async () => {
    const root = join(base, 'scan');
    const db = join(base, 'scan.db');
    {
      await using ex = new JobExecutor({ backend: 'slurm', store: db, logDir: join(base, 'logs') });
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
    expect(runs[0]!.end?.nativeId).toMatch(/^\d+(_\d+)?$/); // points of one shape go out as one array
  }, 300_000);
});
