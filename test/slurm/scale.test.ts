/** Fan-outs as job arrays, and the cost of following many jobs: one squeue per poll. */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { Jobspec } from '../../src/jobspec/index.js';
import { describeSlurm } from './cluster.js';
import { useCluster } from './setup.js';

const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

describeSlurm('SlurmBackend at scale', () => {
  const cluster = useCluster();

  it('submits a fan-out of 200 jobs from one spec as one sbatch --array; each keeps its F58 paths', async () => {
    const { backend, host } = cluster.rig();
    const spec = Jobspec.fromCommand(['sh', '-c', 'echo "$JOBFUTURES_JOB_ID"; echo "err $SLURM_ARRAY_TASK_ID" >&2'], { environment: ENV });
    const t0 = performance.now();
    const jobs = host.submit(backend, Array.from({ length: 200 }, () => spec));
    await host.waitUntil(() => jobs.every((j) => host.nativeId(j) !== undefined), 20_000);
    const tSubmitted = performance.now() - t0;
    await host.waitInactive(jobs, 120_000);
    const tDone = performance.now() - t0;
    console.info(`200-job array: submitted in ${tSubmitted.toFixed(0)} ms, all finished in ${(tDone / 1000).toFixed(1)} s, commands ${JSON.stringify(backend.commandCounts)}`);
    expect(backend.commandCounts.sbatch).toBe(1);
    const arrayId = host.nativeId(jobs[0]!)!.split('_')[0];
    jobs.forEach((j, i) => {
      expect(host.nativeId(j)).toBe(`${arrayId}_${i}`);
      expect(host.status(j)).toBe(0);
      const f58 = host.jobid(j).f58;
      const paths = backend.outputPaths(j);
      expect(paths.stdout.endsWith(`${f58}.out`)).toBe(true);
      expect(readFileSync(paths.stdout, 'utf8')).toBe(`${f58}\n`);
      expect(readFileSync(paths.stderr, 'utf8')).toBe(`err ${i}\n`);
    });
  }, 150_000);

  it('splits a fan-out at maxArraySize and keeps singles and different urgencies apart', async () => {
    const { backend, host } = cluster.rig({ maxArraySize: 4 });
    const spec = Jobspec.fromCommand(['true'], { environment: ENV });
    const fan = host.submit(backend, Array.from({ length: 10 }, () => spec));
    const other = host.submit(backend, [spec], { urgency: 0 });
    await host.waitInactive(fan, 60_000);
    expect(backend.commandCounts.sbatch).toBe(4); // 4 + 4 + 2, and the held one alone
    expect(new Set(fan.map((j) => host.nativeId(j)!.split('_')[0])).size).toBe(3);
    expect(host.nativeId(fan[9]!)).toMatch(/^\d+_1$/);
    expect(host.nativeId(other[0]!)).toMatch(/^\d+$/);
    host.cancel(backend, other[0]!);
    await host.waitInactive(other, 20_000);
  }, 90_000);

  it('follows 200 active jobs with exactly one squeue per poll (200 distinct specs: one coalesced sbatch)', async () => {
    const { backend, host } = cluster.rig({ submitConcurrency: 4 }, false);
    const specs = Array.from({ length: 200 }, (_, i) => Jobspec.fromCommand(['true', String(i)], { environment: ENV }));
    const t0 = performance.now();
    const jobs = host.submit(backend, specs, { urgency: 0 }); // held: they stay active
    await host.waitUntil(() => jobs.every((j) => host.nativeId(j) !== undefined), 60_000);
    const secs = (performance.now() - t0) / 1000;
    console.info(`200 distinct specs submitted in ${secs.toFixed(2)} s (${backend.commandCounts.sbatch} sbatch)`);
    expect(backend.commandCounts.sbatch).toBe(1);
    const before = { ...backend.commandCounts };
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await backend.poll([...host.active]);
      times.push(performance.now() - t);
    }
    console.info(`poll of 200 active jobs: ${times.map((t) => t.toFixed(0)).join(', ')} ms`);
    expect(backend.commandCounts).toEqual({ ...before, squeue: (before.squeue ?? 0) + 5 });
    expect(jobs.every((j) => host.state(j) === 'SCHED')).toBe(true);
    for (const j of jobs) host.cancel(backend, j);
    for (let i = 0; i < 50 && host.active.size > 0; i++) {
      await new Promise((r) => setTimeout(r, 200));
      await backend.poll([...host.active]);
    }
    expect(host.active.size).toBe(0);
    expect(jobs.every((j) => host.trace(j).join() === 'exception:cancel,abandoned')).toBe(true);
  }, 120_000);
});
