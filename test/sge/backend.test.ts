/**
 * The Grid Engine backend against the real dev cluster (scripts/sge/start-dev-cluster.sh): the
 * cost of following many jobs (one qstat per poll), fan-outs as arrays, byte-exact argv and
 * environment, Grid Engine's special exit codes 99 and 100, and a qmaster restart mid-run.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { JobExecutor, Jobspec, wait } from '../../src/index.js';
import { SgeBackend } from '../../src/backends/sge/index.js';
import { PollDriver, RecordingHost } from '../slurm/host.js';
import { describeSge, sge, sgeCellLock } from './cluster.js';

const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
const logDir = () => mkdtempSync(path.join(tmpdir(), 'jf-sge-'));
const executors: JobExecutor[] = [];
function executor(): { ex: JobExecutor; backend: SgeBackend } {
  const ex = new JobExecutor({ backend: 'sge', logDir: logDir(), pollInterval: { min: 100, max: 1000 } });
  executors.push(ex);
  return { ex, backend: ex.backend as SgeBackend };
}
afterAll(async () => {
  for (const ex of executors) {
    for (let job = 0; job < ex.reactor.totalJobs; job++) ex.reactor.cancel(job, 'test teardown');
    await ex.shutdown();
  }
}, 120_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

await describeSge('SgeBackend on the dev cluster', () => {
  it('follows 200 jobs in flight with exactly one qstat per poll, and cancels them all with one qdel', async () => {
    const backend = new SgeBackend({ logDir: logDir(), pollInterval: { min: 100, max: 1000 } });
    const host = new RecordingHost();
    backend.bind(host);
    const specs = Array.from({ length: 200 }, (_, i) => Jobspec.fromCommand(['true', String(i)], { environment: ENV, ...(i % 2 === 0 && { name: `n${i}` }) }));
    const jobs = host.submit(backend, specs, { urgency: 0 }); // held: they stay in flight
    await host.waitUntil(() => jobs.every((j) => host.nativeId(j) !== undefined), 120_000);
    expect(backend.commandCounts.qsub).toBe(1); // distinct specs of one shape: one array
    const before = { ...backend.commandCounts };
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await backend.poll([...host.active]);
      times.push(performance.now() - t);
    }
    console.info(`poll of 200 jobs in flight: ${times.map((t) => t.toFixed(0)).join(', ')} ms`);
    expect(backend.commandCounts).toEqual({ ...before, qstat: (before.qstat ?? 0) + 5 });
    expect(jobs.every((j) => host.state(j) === 'SCHED')).toBe(true);
    for (const j of jobs) host.cancel(backend, j);
    const driver = new PollDriver(backend, host);
    await host.waitInactive(jobs, 60_000);
    await driver.stop();
    expect(backend.commandCounts.qdel).toBe(1);
    expect(jobs.every((j) => host.trace(j).join() === 'exception:cancel,abandoned')).toBe(true);
    await backend.close();
  }, 240_000);

  it('submits a 100-job fan-out of one spec with at most 2 qsub calls; each job keeps its own id and output', async () => {
    const { ex, backend } = executor();
    const spec = Jobspec.fromCommand(['sh', '-c', 'echo "$JOBFUTURES_JOB_ID $SGE_TASK_ID"'], { environment: ENV });
    const futures = Array.from({ length: 100 }, () => ex.submit(spec));
    const { notDone } = await wait(futures);
    expect(notDone.size).toBe(0);
    console.info(`100-job fan-out: ${JSON.stringify(backend.commandCounts)}`);
    expect(backend.commandCounts.qsub).toBeLessThanOrEqual(2);
    expect(futures.every((f) => f.peek()?.result === 'COMPLETED')).toBe(true);
    const arrayId = futures[0]!.nativeId!.split('.')[0];
    for (const [i, f] of futures.entries()) {
      expect(f.nativeId).toBe(`${arrayId}.${i + 1}`);
      expect(await f.readStdout()).toBe(`${f.id!.f58} ${i + 1}\n`);
    }
  }, 180_000);

  it('jobs of different specs sharing a shape go out as one array, each running its own spec; other shapes apart', async () => {
    const { ex, backend } = executor();
    const dirs = [logDir(), logDir()];
    const specs = Array.from({ length: 12 }, (_, i) =>
      i === 11
        ? Jobspec.fromBatchCommand('#!/bin/sh\necho "batch $1 $V"\n', { args: ["it's"], environment: { ...ENV, V: 'v11' } })
        : Jobspec.fromCommand(['sh', '-c', 'echo "$1 $V $(pwd)"', 'sh', `arg ${i}`], {
            environment: { ...ENV, V: `v${i}`, ...(i % 3 === 0 && { ONLY: 'x' }) },
            cwd: dirs[i % 2]!,
            name: `job${i}`,
            ...(i === 5 && { output: path.join(dirs[0]!, '{{name}}-{{id}}.txt') }),
          }),
    );
    const futures = specs.map((s) => ex.submit(s));
    const bigger = ex.submit(Jobspec.fromCommand(['true'], { coresPerTask: 2, environment: ENV }));
    const results = await Promise.all([...futures, bigger]);
    expect(results.map((r) => r.result)).toEqual(Array(13).fill('COMPLETED'));
    expect(backend.commandCounts.qsub).toBe(2);
    expect(new Set(futures.map((f) => f.nativeId!.split('.')[0])).size).toBe(1);
    for (const [i, f] of futures.entries()) {
      expect(await f.readStdout()).toBe(i === 11 ? "batch it's v11\n" : `arg ${i} v${i} ${dirs[i % 2]}\n`);
    }
    expect(futures[5]!.stdoutPath).toBe(path.join(dirs[0]!, `job5-${futures[5]!.id!.f58}.txt`));
  }, 120_000);

  it('jobs handed over while a qsub is in flight go out together in the next one', async () => {
    const { ex, backend } = executor();
    const spec = (i: number) => Jobspec.fromCommand(['sh', '-c', 'echo "$0"', String(i)], { environment: ENV });
    const first = ex.submit(spec(0));
    const later = [];
    // Thirty submits in successive turns of the event loop, while the first qsub runs.
    for (let i = 1; i <= 30; i++) {
      later.push(ex.submit(spec(i)));
      await new Promise((r) => setImmediate(r));
    }
    const all = [first, ...later];
    const { notDone } = await wait(all, { timeout: 120_000 });
    expect(notDone.size).toBe(0);
    for (const [i, f] of all.entries()) expect(await f.readStdout()).toBe(`${i}\n`);
    console.info(`31 submits over 31 turns: ${JSON.stringify(backend.commandCounts)}`);
    expect(backend.commandCounts.qsub).toBeLessThanOrEqual(3);
  }, 180_000);

  it('afterany dependants of one job go out as one array held on it (-hold_jid), and run after it', async () => {
    const { ex, backend } = executor();
    const dir = logDir();
    const marker = path.join(dir, 'setup-done');
    const setup = ex.submit(Jobspec.fromCommand(['sh', '-c', `sleep 1; : > ${marker}; exit 2`], { environment: ENV }));
    const dependants = Array.from({ length: 10 }, (_, i) => ex.submit(Jobspec.fromCommand(['sh', '-c', `[ -e ${marker} ] && echo "after $0"`, String(i)], { environment: ENV }), { dependsOnAny: [setup] }));
    const { notDone } = await wait([setup, ...dependants], { timeout: 120_000 });
    expect(notDone.size).toBe(0);
    expect((await setup).returncode).toBe(2);
    for (const [i, f] of dependants.entries()) {
      expect((await f).result).toBe('COMPLETED');
      expect(await f.readStdout()).toBe(`after ${i}\n`);
    }
    expect(new Set(dependants.map((f) => f.nativeId!.split('.')[0])).size).toBe(1);
    expect(backend.commandCounts.qsub).toBe(2);
  }, 180_000);

  it('cancels running jobs together: SIGTERM reaches each (CANCELED, -15), then one qdel for all', async () => {
    const { ex, backend } = executor();
    const dir = logDir();
    const futures = Array.from({ length: 5 }, (_, i) => ex.submit(Jobspec.fromCommand(['sh', '-c', 'touch "$1"; exec sleep 300', 'sh', path.join(dir, `s${i}`)], { environment: ENV })));
    const deadline = Date.now() + 60_000;
    while (!futures.every((f) => f.running()) && Date.now() < deadline) await sleep(100);
    for (const f of futures) expect(f.cancel('enough')).toBe(true);
    const results = await Promise.all(futures);
    expect(results.map((r) => [r.result, r.returncode])).toEqual(Array(5).fill(['CANCELED', -15]));
    await ex.shutdown();
    expect(backend.commandCounts.qdel).toBe(1);
  }, 120_000);

  it('passes argv and environment byte-exact (quotes, $, backticks, newlines, unicode, #$ lines)', async () => {
    const { ex } = executor();
    const dir = logDir();
    const weird = ["qu'ote", 'dq"', '$HOME $(id) ${X}', '`echo x`', 'new\nline\n#$ -N evil', 'ünï©ødé ✓', '', ' lead', 'back\\slash', '-n', '%s %%', 'tab\there', '\r\n'];
    const environment: Record<string, string> = { ...ENV, OUT: path.join(dir, 'out') };
    weird.forEach((v, i) => (environment[`W${i}`] = v));
    environment['WEIRD-NAME.x'] = 'odd name';
    // (env itself prints the environment: a shell would drop names such as WEIRD-NAME.x)
    const fut = ex.submit(Jobspec.fromCommand(['env', '-0'], { environment, output: path.join(dir, 'out.env') }));
    const argv = ex.submit(Jobspec.fromCommand(['sh', '-c', 'printf "%s\\0" "$@" > "$OUT.args"', 'sh', ...weird], { environment }));
    expect((await fut).result).toBe('COMPLETED');
    expect((await argv).result).toBe('COMPLETED');
    const args = readFileSync(path.join(dir, 'out.args'), 'utf8').split('\0').slice(0, -1);
    expect(args).toEqual(weird);
    const env = new Map(
      readFileSync(path.join(dir, 'out.env'), 'utf8')
        .split('\0')
        .slice(0, -1)
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const),
    );
    for (const [k, v] of Object.entries(environment)) expect([k, env.get(k)]).toEqual([k, v]);
    expect(env.get('JOBFUTURES_JOB_ID')).toBe(fut.id!.f58);
    expect(env.has('HOME')).toBe(false);
  }, 120_000);

  it('exit 100 ends FAILED with returncode 100 (not Eqw): after-any dependants run, after-ok ones fail; exit 99 is not requeued', async () => {
    const { ex } = executor();
    const dir = logDir();
    const first = ex.submit(Jobspec.fromCommand(['sh', '-c', 'exit 100'], { environment: ENV }));
    const anyDep = ex.submit(Jobspec.fromCommand(['touch', path.join(dir, 'any')], { environment: ENV }), { dependsOnAny: [first] });
    const okDep = ex.submit(Jobspec.fromCommand(['touch', path.join(dir, 'ok')], { environment: ENV }), { dependsOn: [first] });
    const ninetyNine = ex.submit(Jobspec.fromCommand(['sh', '-c', 'echo run >> "$1"; exit 99', 'sh', path.join(dir, 'runs99')], { environment: ENV }));
    const [r1, rAny, rOk, r99] = await Promise.all([first, anyDep, okDep, ninetyNine]);
    expect([r1.result, r1.returncode, r1.exception]).toEqual(['FAILED', 100, undefined]);
    expect(rAny.result).toBe('COMPLETED');
    expect(readFileSync(path.join(dir, 'any'), 'utf8')).toBe('');
    expect([rOk.result, rOk.exception?.type]).toEqual(['FAILED', 'dependency']);
    expect([r99.result, r99.returncode]).toEqual(['FAILED', 99]);
    expect(readFileSync(path.join(dir, 'runs99'), 'utf8')).toBe('run\n');
  }, 120_000);

  it('qmaster restarted mid-run: polls fail and are retried, no job fails', () => sgeCellLock.exclusive(async () => {
    const { ex, backend } = executor();
    const dir = logDir();
    let pollErrors = 0;
    ex.on('poll-error', () => pollErrors++);
    const futures = Array.from({ length: 12 }, (_, i) =>
      ex.submit(Jobspec.fromCommand(['sh', '-c', `touch "$1"; sleep 3; exit ${i % 2 === 0 ? 0 : 5}`, 'sh', path.join(dir, `started${i}`)], { environment: ENV })),
    );
    // Stop qmaster while the jobs run (some qsub calls may still be waiting: they are retried);
    // the jobs end while it is down.
    const deadline = Date.now() + 60_000;
    while (!futures.some((f) => f.running()) && Date.now() < deadline) await sleep(100);
    execFileSync('qconf', ['-km']);
    const downAt = Date.now();
    while (pollErrors === 0 && Date.now() - downAt < 30_000) await sleep(100);
    await sleep(4000);
    execFileSync(path.resolve('scripts/sge/start-dev-cluster.sh'), { stdio: 'ignore' });
    const results = await Promise.all(futures);
    console.info(`qmaster restart: ${pollErrors} poll errors, commands ${JSON.stringify(backend.commandCounts)}`);
    expect(pollErrors).toBeGreaterThan(0);
    results.forEach((r, i) => expect([i, r.result, r.returncode, r.exception]).toEqual([i, i % 2 === 0 ? 'COMPLETED' : 'FAILED', i % 2 === 0 ? 0 : 5, undefined]));
    expect(await sge('qstat', ['-xml'])).toBeDefined();
  }, 480_000), 540_000);
});
