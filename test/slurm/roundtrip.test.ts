/**
 * Property: thousands of random argv strings and environment values reach REAL Slurm jobs
 * byte-exact. Batched: ~20 jobs, each printing a few hundred arguments (`printf '%s\0'`) or its
 * whole environment (`env -0`) into its stdout file. Seed: JF_SEED (printed on failure).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { Jobspec } from '../../src/jobspec/index.js';
import { nastyString } from '../batch/arbitraries.js';
import { describeSlurm } from './cluster.js';
import { useCluster } from './setup.js';

const seed = Number(process.env.JF_SEED ?? Date.now() % 1_000_000);
const PATH = process.env.PATH ?? '/usr/bin:/bin';
const nul = (s: string) => s.split('\0').slice(0, -1);

describeSlurm('byte-exact arguments and environment through real jobs', () => {
  const cluster = useCluster();

  it(`argv: 16 jobs × 300 random strings (seed ${seed})`, async () => {
    const { backend, host } = cluster.rig();
    const argvs = fc.sample(fc.array(nastyString(), { minLength: 300, maxLength: 300 }), { seed, numRuns: 16 });
    // 13 plain jobs, a fan-out of 2 (one array) and one job of 2 tasks run with srun
    const specs = argvs.slice(0, 13).map((args) => Jobspec.fromCommand(['printf', '%s\\0', ...args], { environment: { PATH } }));
    const fan = Jobspec.fromCommand(['printf', '%s\\0', ...argvs[13]!], { environment: { PATH } });
    const multi = Jobspec.fromCommand(['sh', '-c', `printf '%s\\0' "$@" >"$0.$JOBFUTURES_TASK_RANK"`, path.join(backend.logDir, 'multi'), ...argvs[15]!], {
      environment: { PATH },
      numTasks: 2,
    });
    const jobs = host.submit(backend, [...specs, fan, fan, multi]);
    await host.waitInactive(jobs, 90_000);
    const total = argvs.reduce((n, a) => n + a.length, 0);
    console.info(`argv round trip: ${total} strings, ${jobs.length} jobs, seed ${seed}`);
    jobs.slice(0, 15).forEach((job, i) => {
      expect(host.status(job), `job ${i} (seed ${seed}): ${host.trace(job).join()} ${host.fatal(job)?.note ?? ""}`).toBe(0);
      expect(nul(readFileSync(backend.outputPaths(job).stdout, 'utf8')), `job ${i} (seed ${seed})`).toEqual(i < 13 ? argvs[i] : argvs[13]);
    });
    expect(host.status(jobs[15]!), `srun job: ${readFileSync(backend.outputPaths(jobs[15]!).stderr, "utf8").slice(0, 2000)}`).toBe(0);
    for (const rank of [0, 1]) expect(nul(readFileSync(path.join(backend.logDir, `multi.${rank}`), 'utf8'))).toEqual(argvs[15]);
  }, 120_000);

  it(`environment: 6 jobs × 100 random values, exactly the spec's variables (seed ${seed})`, async () => {
    const { backend, host } = cluster.rig();
    const name = fc.oneof(
      { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,15}$/) },
      { weight: 1, arbitrary: fc.constantFrom('A-B', '1X', 'with space', 'ƒ', 'x.y', 'BASH_FUNC_f%%') },
    );
    const envs = fc.sample(fc.dictionary(name, nastyString(), { minKeys: 100, maxKeys: 100 }), { seed, numRuns: 6 }).map((env) => {
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(env)) if ((!k.startsWith('SLURM') || k === 'SLURM_ARRAY_TASK_ID') && !/^JOBFUTURES_(JOB_ID|JOB_SIZE|TASK_RANK)$/.test(k) && !k.startsWith('BASH_FUNC_')) out[k] = v;
      return { ...out, PATH };
    });
    const jobs = host.submit(
      backend,
      envs.map((environment) => Jobspec.fromCommand(['env', '-0'], { environment })),
    );
    await host.waitInactive(jobs, 60_000);
    jobs.forEach((job, i) => {
      expect(host.status(job)).toBe(0);
      const got = new Map<string, string>();
      for (const entry of nul(readFileSync(backend.outputPaths(job).stdout, 'utf8'))) {
        const eq = entry.indexOf('=');
        got.set(entry.slice(0, eq), entry.slice(eq + 1));
      }
      // Slurm's own SLURM_ARRAY_TASK_ID (the jobs are tasks of one coalesced array) unless the spec set one.
      const theirs = Object.fromEntries([...got].filter(([k]) => (!k.startsWith('SLURM') || (k === 'SLURM_ARRAY_TASK_ID' && k in envs[i]!)) && !/^JOBFUTURES_(JOB_ID|JOB_SIZE|TASK_RANK)$/.test(k)));
      expect(theirs, `job ${i} (seed ${seed})`).toEqual(envs[i]);
      expect(got.get('JOBFUTURES_JOB_ID')).toBe(host.jobid(job).f58);
      // The jobs go out as one coalesced array: each is a task of it.
      const nativeId = host.nativeId(job)!;
      expect(nativeId.includes('_') ? `${got.get('SLURM_ARRAY_JOB_ID')}_${got.get('SLURM_ARRAY_TASK_ID')}` : got.get('SLURM_JOB_ID')).toBe(nativeId);
    });
  }, 90_000);
});
