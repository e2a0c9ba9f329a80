/**
 * Coalesced submissions on the real dev cluster: jobs of one resource shape go out as one
 * `sbatch --array` even when everything they run differs, each task keeping its own argv,
 * environment, cwd, outputs and result; jobs handed over while sbatch runs go out together next;
 * a failed submission fails (or retries) every job of it; and an owner killed with SIGKILL in
 * the middle of a coalesced fan-out loses no job and runs none twice once its store is taken over.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { expect, it } from 'vitest';
import { JobExecutor, wait, type JobFuture } from '../../src/index.js';
import type { SlurmBackend } from '../../src/backends/slurm/index.js';
import { Jobspec } from '../../src/jobspec/index.js';
import { describeSlurm } from './cluster.js';
import { useCluster } from './setup.js';

const PATH = process.env.PATH ?? '/usr/bin:/bin';
const nul = (s: string) => s.split('\0').slice(0, -1);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const entry = path.join(root, 'dist/src/index.js');

/** A command prefix that runs every Slurm tool as is, except that `sbatch` first runs `before`. */
const sbatchPrefix = (before: string) => ['sh', '-c', `if [ "$0" = sbatch ]; then ${before}; fi; exec "$0" "$@"`];

describeSlurm('coalesced submissions', () => {
  const cluster = useCluster();

  it('one sbatch for jobs of one shape with different argv, environments, cwds, outputs and results', async () => {
    const { backend, host, logDir } = cluster.rig();
    const weird = ["it's", '$HOME `id` \\', 'a\nb', '', '-n', 'ƒ 日本語 🙂', '{{id}}', ' : '];
    const specs = weird.map((arg, i) => {
      const cwd = path.join(logDir, `cwd ${i}'`);
      mkdirSync(cwd);
      const environment: Record<string, string> = { PATH, [`ONLY_${i}`]: arg, 'A-B': `v${i}`, SHARED: `x=${i}\n'"` };
      const stdout = i % 3 === 0 ? undefined : i % 3 === 1 ? `o-{{id}}-${i}.txt` : path.join(logDir, `abs-${i}.out`);
      // Perl, not sh: dash drops variables whose names are not shell names (A-B) from its children.
      const script = 'use Cwd; $| = 1; my $i = shift; print getcwd(), "\\n"; open(my $a, ">", "argv"); print $a map { "$_\\0" } @ARGV; close $a; open(my $e, ">", "env"); print $e map { "$_=$ENV{$_}\\0" } sort keys %ENV; close $e; print STDERR "err $i\\n"; kill "SEGV", $$ if $i == 5; exit $i';
      return Jobspec.fromCommand(['perl', '-e', script, String(i), arg, `#${i}`], { environment, cwd, ...(stdout !== undefined && { output: stdout }) });
    });
    // One backend.submit per job, as the engine does for submits in successive microtasks.
    const jobs = specs.map((spec) => host.submit(backend, [spec])[0]!);
    await host.waitInactive(jobs, 90_000);
    expect(backend.commandCounts.sbatch).toBe(1);
    const arrayId = host.nativeId(jobs[0]!)!.split('_')[0];
    jobs.forEach((job, i) => {
      const why = `job ${i}: ${host.trace(job).join()} ${host.fatal(job)?.note ?? ''}`;
      expect(host.nativeId(job), why).toBe(`${arrayId}_${i}`);
      expect(host.status(job), why).toBe(i === 5 ? 11 : i << 8);
      expect(host.fatal(job), why).toBeUndefined();
      const cwd = path.join(logDir, `cwd ${i}'`);
      const paths = backend.outputPaths(job);
      const f58 = host.jobid(job).f58;
      if (i % 3 === 0) expect(paths.stdout).toBe(path.join(logDir, `${f58}.out`));
      else if (i % 3 === 1) expect(paths.stdout).toBe(path.join(cwd, `o-${f58}-${i}.txt`));
      else expect(paths.stdout).toBe(path.join(logDir, `abs-${i}.out`));
      expect(readFileSync(paths.stdout, 'utf8'), why).toBe(i % 3 === 0 ? `${cwd}\n` : `${cwd}\nerr ${i}\n`);
      if (i % 3 === 0) expect(readFileSync(paths.stderr, 'utf8')).toBe(`err ${i}\n`);
      expect(nul(readFileSync(path.join(cwd, 'argv'), 'utf8'))).toEqual([weird[i], `#${i}`]);
      const env = new Map(nul(readFileSync(path.join(cwd, 'env'), 'utf8')).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
      const own = Object.fromEntries([...env].filter(([k]) => !k.startsWith('SLURM') && !k.startsWith('JOBFUTURES_')));
      expect(own, why).toEqual({ PATH, [`ONLY_${i}`]: weird[i], 'A-B': `v${i}`, SHARED: `x=${i}\n'"` });
      expect(env.get('JOBFUTURES_JOB_ID')).toBe(f58);
      expect(`${env.get('SLURM_ARRAY_JOB_ID')}_${env.get('SLURM_ARRAY_TASK_ID')}`).toBe(host.nativeId(job));
    });
  }, 120_000);

  it('jobs handed over while an sbatch runs go out together in the next one', async () => {
    const { backend, host, logDir } = cluster.rig({ commandPrefix: sbatchPrefix('sleep 3') });
    const spec = (i: number) => Jobspec.fromCommand(['true', String(i)], { environment: { PATH } });
    const first = host.submit(backend, [spec(0)]);
    // The first sbatch is running (its prefix sleeps 3 s): under load it may take a while to start.
    await host.waitUntil(() => backend.commandCounts.sbatch === 1, 30_000);
    const later: number[] = [];
    // 20 jobs over ~200 ms, in separate turns of the event loop, while the first sbatch sleeps.
    for (let i = 1; i <= 20; i++) {
      await new Promise((r) => setTimeout(r, 10));
      later.push(host.submit(backend, [spec(i)])[0]!);
    }
    expect(backend.commandCounts.sbatch).toBe(1);
    await host.waitInactive([...first, ...later], 90_000);
    // The first sbatch took what came before it started; all the rest waited for it and went next.
    expect(backend.commandCounts.sbatch).toBe(2);
    expect(new Set([...first, ...later].map((j) => host.nativeId(j)!.split('_')[0])).size).toBe(2);
    for (const j of [...first, ...later]) expect(host.status(j)).toBe(0);
    expect(existsSync(logDir)).toBe(true);
  }, 120_000);

  it('a failed sbatch of a coalesced batch fails every job of it (a failing command prefix, a bad partition)', async () => {
    const failing = cluster.rig({ commandPrefix: sbatchPrefix("echo 'sbatch: error: injected failure' >&2; exit 1") });
    const a = Array.from({ length: 6 }, (_, i) => failing.host.submit(failing.backend, [Jobspec.fromCommand(['true', String(i)], { environment: { PATH, I: String(i) } })])[0]!);
    const bad = cluster.rig();
    const b = Array.from({ length: 6 }, (_, i) => bad.host.submit(bad.backend, [Jobspec.fromCommand(['echo', String(i)], { environment: { PATH }, queue: 'no-such-partition' })])[0]!);
    await failing.host.waitInactive(a, 30_000);
    await bad.host.waitInactive(b, 30_000);
    expect(failing.backend.commandCounts.sbatch).toBe(1);
    expect(bad.backend.commandCounts.sbatch).toBe(1);
    for (const j of a) {
      expect(failing.host.trace(j)).toEqual(['exception:exec', 'abandoned']);
      expect(failing.host.fatal(j)!.note).toBe('sbatch failed: sbatch: error: injected failure');
    }
    for (const j of b) {
      expect(bad.host.trace(j)).toEqual(['exception:exec', 'abandoned']);
      expect(bad.host.fatal(j)!.note).toMatch(/^sbatch failed: .*(partition|Invalid)/i);
    }
  }, 60_000);

  it('a coalesced batch whose sbatch cannot reach the controller is retried as a whole', async () => {
    const once = path.join(cluster.rig({}, false).logDir, 'failed-once');
    const unreachable = "echo 'sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)' >&2; exit 1";
    const { backend, host } = cluster.rig({ commandPrefix: sbatchPrefix(`[ -e '${once}' ] || { : >'${once}'; ${unreachable}; }`) });
    const jobs = Array.from({ length: 8 }, (_, i) => host.submit(backend, [Jobspec.fromCommand(['sh', '-c', 'exit $0', String(i)], { environment: { PATH } })])[0]!);
    await host.waitInactive(jobs, 60_000);
    expect(existsSync(once)).toBe(true);
    expect(backend.commandCounts.sbatch).toBe(2);
    expect(new Set(jobs.map((j) => host.nativeId(j)!.split('_')[0])).size).toBe(1);
    jobs.forEach((j, i) => expect([host.trace(j).join(), host.status(j)]).toEqual(['started,finished', i << 8]));
  }, 90_000);

  it('ex.map of 100 identical specs: at most 2 sbatch', async () => {
    const ex = new JobExecutor({ backend: 'slurm', logDir: cluster.rig().logDir, pollInterval: { min: 100, max: 1000 } });
    try {
      const spec = Jobspec.fromCommand(['true'], { environment: { PATH } });
      let n = 0;
      for await (const r of ex.map(Array.from({ length: 100 }, () => spec))) {
        expect(r.result).toBe('COMPLETED');
        n++;
      }
      expect(n).toBe(100);
      const counts = (ex.backend as SlurmBackend).commandCounts;
      console.info(`ex.map of 100 identical specs: ${JSON.stringify(counts)}`);
      expect(counts.sbatch).toBeLessThanOrEqual(2);
    } finally {
      await ex.shutdown();
    }
  }, 180_000);

  it('a fan-out after one set-up job: the dependants go out as one array with --dependency, start after it, each its own job', async () => {
    const { logDir } = cluster.rig();
    const ex = new JobExecutor({ backend: 'slurm', logDir, pollInterval: { min: 100, max: 1000 } });
    try {
      const marker = path.join(logDir, 'setup-done');
      const setup = ex.submit(Jobspec.fromCommand(['sh', '-c', `sleep 1; : > ${marker}`], { environment: { PATH } }));
      const check = (i: number) => Jobspec.fromCommand(['sh', '-c', `[ -e ${marker} ] && echo "dependant $0"`, String(i)], { environment: { PATH } });
      const okDependants = Array.from({ length: 20 }, (_, i) => ex.submit(check(i), { dependsOn: [setup] }));
      const anyDependants = Array.from({ length: 5 }, (_, i) => ex.submit(check(100 + i), { dependsOnAny: [setup] }));
      const all = [...okDependants, ...anyDependants];
      await wait([setup, ...all], { timeout: 120_000 });
      expect((await setup).result).toBe('COMPLETED');
      for (const [i, f] of all.entries()) {
        expect((await f).result, `dependant ${i}`).toBe('COMPLETED');
        expect(await f.readStdout()).toBe(`dependant ${i < 20 ? i : 100 + i - 20}\n`);
      }
      const arrayOf = (fs: JobFuture[]) => new Set(fs.map((f) => f.nativeId!.split('_')[0]));
      expect(arrayOf(okDependants).size).toBe(1);
      expect(arrayOf(anyDependants).size).toBe(1);
      const counts = (ex.backend as SlurmBackend).commandCounts;
      expect(counts.sbatch).toBeLessThanOrEqual(3);
    } finally {
      await ex.shutdown();
    }
  }, 180_000);

  it('dependants of a job that fails, coalesced into one array, each end with a dependency exception and never run', async () => {
    const { logDir } = cluster.rig();
    const ex = new JobExecutor({ backend: 'slurm', logDir, pollInterval: { min: 100, max: 1000 } });
    try {
      const ran = path.join(logDir, 'ran');
      const setup = ex.submit(Jobspec.fromCommand(['sh', '-c', 'sleep 1; exit 3'], { environment: { PATH } }));
      const dependants = Array.from({ length: 8 }, (_, i) => ex.submit(Jobspec.fromCommand(['sh', '-c', `echo $0 >> ${ran}`, String(i)], { environment: { PATH } }), { dependsOn: [setup] }));
      await wait([setup, ...dependants], { timeout: 120_000 });
      expect((await setup).returncode).toBe(3);
      for (const f of dependants) expect((await f).exception?.type).toBe('dependency');
      expect(new Set(dependants.map((f) => f.nativeId?.split('_')[0])).size).toBe(1);
      expect(existsSync(ran)).toBe(false);
    } finally {
      await ex.shutdown();
    }
  }, 180_000);

  it('1,000 distinct specs: at most 5 sbatch, each job its own array task', async () => {
    const ex = new JobExecutor({ backend: 'slurm', logDir: cluster.rig().logDir, pollInterval: { min: 250, max: 2000 } });
    try {
      const t0 = performance.now();
      const futures: JobFuture[] = [];
      for (let i = 0; i < 1000; i++) futures.push(ex.submit(Jobspec.fromCommand(['true', String(i)], { environment: { PATH, I: String(i) }, name: `j${i}` }), { urgency: 0 }));
      while (futures.some((f) => f.nativeId === undefined && !f.done())) await new Promise((r) => setTimeout(r, 20));
      const secs = (performance.now() - t0) / 1000;
      const counts = (ex.backend as SlurmBackend).commandCounts;
      console.info(`1,000 distinct specs submitted (held) in ${secs.toFixed(2)} s: ${JSON.stringify(counts)}`);
      expect(counts.sbatch).toBeLessThanOrEqual(5);
      const ids = new Set(futures.map((f) => f.nativeId!));
      expect(ids.size).toBe(1000);
      // One scancel per array, not per job.
      const arrays = new Set([...ids].map((id) => id.split('_')[0]!));
      await execa('scancel', [...arrays]);
      const left = await wait(futures, { timeout: 120_000 });
      expect(left.notDone.size).toBe(0);
      expect(futures.every((f) => f.peek()?.exception?.type === 'cancel')).toBe(true);
    } finally {
      await ex.shutdown();
    }
  }, 240_000);

  it.skipIf(!existsSync(entry))('an owner killed with SIGKILL mid fan-out: its store is taken over, 0 jobs lost, 0 run twice', async () => {
    const { logDir } = cluster.rig({}, false);
    const db = path.join(logDir, 'jobs.db');
    const runs = path.join(logDir, 'runs');
    const marker = path.join(logDir, 'sbatch-returned');
    // The owner: 40 distinct jobs of two shapes, one sbatch at a time; the first sbatch returns,
    // the owner dies before it learns the array's id; the second shape never reached Slurm.
    const owner = `
import { JobExecutor, Jobspec } from ${JSON.stringify(entry)};
const [db, logDir, runs, marker] = process.argv.slice(1);
const prefix = ['sh', '-c', 'if [ "$0" = sbatch ]; then "$0" "$@"; r=$?; : >\\'' + marker + '\\'; sleep 20; exit $r; fi; exec "$0" "$@"'];
const ex = new JobExecutor({ backend: 'slurm', store: db, logDir, submitConcurrency: 1, commandPrefix: prefix, pollInterval: { min: 100, max: 500 } });
const futures = Array.from({ length: 40 }, (_, i) => ex.submit(Jobspec.fromCommand(
  ['sh', '-c', 'echo "$JOBFUTURES_JOB_ID $I" >>"$0"; exit $((I % 3))', runs],
  { environment: { PATH: process.env.PATH, I: String(i) }, duration: i < 20 ? 0 : 600 })));
console.log(JSON.stringify(futures.map((f) => f.id.f58)));
setInterval(() => {}, 1000);
`;
    const child = execa('node', ['--input-type=module', '-e', owner, db, logDir, runs, marker], { reject: false });
    let ids: string[] = [];
    child.stdout!.on('data', (d: Buffer) => {
      const line = d.toString().trim();
      if (line.startsWith('[')) ids = JSON.parse(line) as string[];
    });
    for (let i = 0; i < 600 && !existsSync(marker); i++) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(marker)).toBe(true);
    child.kill('SIGKILL');
    await child;
    expect(ids).toHaveLength(40);
    const ex = new JobExecutor({ backend: 'slurm', store: db, logDir, pollInterval: { min: 100, max: 1000 } });
    try {
      expect(ex.recovered.claimed).toBe(40);
      const futures = ids.map((id) => ex.attach(id));
      const left = await wait(futures, { timeout: 150_000 });
      expect(left.notDone.size).toBe(0);
      const results = futures.map((f) => f.peek()!);
      results.forEach((r, i) => expect([r.result, r.returncode, r.exception?.type], `job ${i}`).toEqual([i % 3 === 0 ? 'COMPLETED' : 'FAILED', i % 3, undefined]));
      const lines = readFileSync(runs, 'utf8').trim().split('\n');
      expect(lines.sort()).toEqual(ids.map((id, i) => `${id} ${i}`).sort());
      const counts = (ex.backend as SlurmBackend).commandCounts;
      console.info(`take-over after SIGKILL mid fan-out: ${JSON.stringify(counts)}`);
      expect(counts.sbatch).toBe(1); // only the shape that never reached Slurm
    } finally {
      await ex.shutdown();
    }
    writeFileSync(marker, '');
  }, 240_000);
});
