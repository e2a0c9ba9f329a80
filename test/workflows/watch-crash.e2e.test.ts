/**
 * Restart safety of `jobf watch` (issue 13): the watcher is killed with SIGKILL at random moments,
 * at least 20 times, and restarted each time; at the end every folder is in complete/ under its own
 * name with a COMPLETED status, and every job ran exactly once (each appends its folder's name to
 * one file when it starts): nothing lost, nothing submitted twice.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { join } from 'node:path';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { processesWithEnv, waitFor } from '../behaviour/helpers.js';
import { jobf, jobfProcess, prepareBin } from '../cli/helpers/jobf.js';
import { tempDir } from '../store/helpers.js';
import { dropJob, lines, names } from './helpers.js';

let base = '';
let cleanup = (): void => {};
beforeAll(async () => {
  await prepareBin();
  ({ dir: base, cleanup } = tempDir('jobf-watch-crash-'));
}, 180_000);
afterAll(() => cleanup());

const FOLDERS = 100;
const KILLS = 24;

it(`jobf watch killed with SIGKILL ${KILLS} times at random moments: ${FOLDERS} folders, 0 lost, 0 twice`, async () => {
  const root = join(base, 'root');
  const log = join(base, 'started.log');
  const mark = `watch-crash-${process.pid}-${randomUUID()}`;
  expect((await jobf(['watch', '--root', root, '--setup'], { cwd: base })).exitCode).toBe(0);
  const all = Array.from({ length: FOLDERS }, (_, i) => `job${String(i).padStart(3, '0')}`);
  for (const name of all) dropJob(root, name, `echo ${name} >> ${log}\nsleep 0.${randomInt(1, 6)}\necho done > done.txt\n`);

  const stages: string[] = [];
  for (let k = 0; k < KILLS; k++) {
    const watcher = jobfProcess(['watch', '--root', root, '--period', '0.05', '--parallel', '4'], { cwd: base, env: { JOBF_TEST_MARK: mark } });
    let out = '';
    watcher.stdout?.on('data', (d: Buffer) => void (out += d.toString()));
    // Killed at a random moment after it started watching (some kills land before it even does).
    await waitFor(() => out.includes('watching') || watcher.exitCode !== null, 60_000, 'the watcher to start');
    await new Promise((r) => setTimeout(r, randomInt(0, 400)));
    watcher.kill('SIGKILL');
    const r = await watcher;
    expect(r.signal ?? r.exitCode).toBe('SIGKILL');
    stages.push(`${names(join(root, 'inbox')).length}/${names(join(root, 'pending')).length}/${names(join(root, 'complete')).length}`);
  }
  // Kills must have hit a watcher with jobs in flight, not only an idle one.
  expect(stages.filter((s) => s.split('/')[1] !== '0').length).toBeGreaterThan(KILLS / 2);

  const last = await jobf(['watch', '--root', root, '--period', '0.05', '--parallel', '4', '--exit-when-idle'], { cwd: base, env: { JOBF_TEST_MARK: mark } });
  expect(last.stderr).toBe('');
  expect(last.exitCode).toBe(0);

  expect(names(join(root, 'inbox'))).toEqual([]);
  expect(names(join(root, 'pending'))).toEqual([]);
  expect(names(join(root, 'complete'))).toEqual(all); // no folder renamed by a clash
  for (const name of all) {
    expect([name, lines(join(root, 'complete', name, 'job_status.txt'))[0]]).toEqual([name, 'COMPLETED 0']);
    expect(names(join(root, 'complete', name))).toEqual(['done.txt', 'job.sh', 'job_id.txt', 'job_output.txt', 'job_status.txt']);
  }
  // Every job ran exactly once.
  expect(lines(log).sort()).toEqual(all);
  expect(processesWithEnv('JOBF_TEST_MARK', mark)).toEqual([]);
  console.log(`kills at (inbox/pending/complete): ${stages.join(' ')}`);
}, 600_000);
