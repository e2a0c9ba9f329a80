/**
 * The Slurm backend against the real dev cluster (scripts/slurm/start-dev-cluster.sh), driven by
 * a recording host and a poll loop like the engine's.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, expect, it } from 'vitest';
import { Jobspec } from '../../src/jobspec/index.js';
import { describeSlurm } from './cluster.js';
import { useCluster, type Rig } from './setup.js';

const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
const sh = (script: string, opts: Parameters<typeof Jobspec.fromCommand>[1] = {}) => Jobspec.fromCommand(['sh', '-c', script], { environment: ENV, ...opts });

async function slurmField(nativeId: string, field: string): Promise<string> {
  const r = await execa('squeue', ['-h', '-t', 'all', '-j', nativeId, '-O', `${field}:|`]);
  return String(r.stdout).trim().replace(/\|$/, '');
}

describeSlurm('SlurmBackend on a real cluster', () => {
  const cluster = useCluster();

  // The one slow test (a time limit: Slurm rounds --time up to whole minutes and enforces it
  // 60-90 s after the start) runs alongside the others: its job is submitted first, checked last.
  let slow: { rig: Rig; job: number; seenRunningAt?: number } | undefined;
  beforeAll(() => {
    const rig = cluster.rig({ pollInterval: { min: 250, max: 2000 } });
    const [job] = rig.host.submit(rig.backend, [Jobspec.fromCommand(['sleep', '600'], { duration: 5, environment: ENV })]);
    slow = { rig, job: job! };
    void rig.host.waitUntil(() => rig.host.state(job!) !== 'SCHED', 120_000).then(() => (slow!.seenRunningAt = Date.now()), () => undefined);
  });

  it('runs a job: native id, started, finished 0, outputs where outputPaths says', async () => {
    const { backend, host } = cluster.rig();
    const [job] = host.submit(backend, [sh('echo out; echo err >&2', { name: 'simple' })]);
    await host.waitInactive([job!], 30_000);
    expect(host.trace(job!)).toEqual(['started', 'finished']);
    expect(host.status(job!)).toBe(0);
    expect(host.nativeId(job!)).toMatch(/^\d+$/);
    const f58 = host.jobid(job!).f58;
    const paths = backend.outputPaths(job!);
    expect(paths.stdout).toBe(path.join(backend.logDir, `${f58}.out`));
    expect(readFileSync(paths.stdout, 'utf8')).toBe('out\n');
    expect(readFileSync(paths.stderr, 'utf8')).toBe('err\n');
    expect(readFileSync(path.join(backend.logDir, `${f58}.status`), 'utf8')).toBe('0\n');
    expect(await slurmField(host.nativeId(job!)!, 'Name')).toBe('simple');
  });

  it('reports exit 3 as wait status 768 and a death by SIGSEGV as 11', async () => {
    const { backend, host } = cluster.rig();
    const [exit3, segv, exit139] = host.submit(backend, [sh('exit 3'), sh('kill -SEGV $$'), sh('exit 139')]);
    await host.waitInactive([exit3!, segv!, exit139!], 30_000);
    expect(host.status(exit3!)).toBe(768);
    expect(host.status(segv!)).toBe(11);
    expect(host.status(exit139!)).toBe(139 << 8);
    for (const j of [exit3!, segv!, exit139!]) expect(host.fatal(j)).toBeUndefined();
  });

  it('cancels a pending job: cancel exception, abandoned, never started', async () => {
    const { backend, host } = cluster.rig();
    const [job] = host.submit(backend, [sh('true')], { urgency: 0 });
    await host.waitUntil(() => host.nativeId(job!) !== undefined, 10_000);
    expect(await slurmField(host.nativeId(job!)!, 'Reason')).toBe('JobHeldUser');
    host.cancel(backend, job!);
    await host.waitInactive([job!], 20_000);
    expect(host.trace(job!)).toEqual(['exception:cancel', 'abandoned']);
    expect(await slurmField(host.nativeId(job!)!, 'State')).toBe('CANCELLED');
  });

  it('cancels a job whose sbatch is still in flight', async () => {
    const { backend, host } = cluster.rig();
    const [job] = host.submit(backend, [sh('sleep 300')]);
    host.cancel(backend, job!);
    await host.waitInactive([job!], 20_000);
    expect(host.trace(job!)).toEqual(['exception:cancel', 'abandoned']);
  });

  it('cancels a running job: it is ended by SIGTERM and finishes with status 15', async () => {
    const { backend, host } = cluster.rig();
    const [job] = host.submit(backend, [sh('exec sleep 300')]);
    await host.waitUntil(() => host.state(job!) === 'RUN', 30_000);
    const t0 = Date.now();
    host.cancel(backend, job!);
    await host.waitInactive([job!], 20_000);
    expect(host.trace(job!)).toEqual(['started', 'exception:cancel', 'finished']);
    expect(host.status(job!)).toBe(15);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('kill() delivers the signal once to the command; the status says how it ended', async () => {
    const { backend, host } = cluster.rig();
    const [trapper, plain] = host.submit(backend, [
      sh(`n=0; trap 'n=$((n+1)); echo "got USR1 $n"' USR1; echo ready; sleep 4 & wait; wait; echo "done $n"; exit 7`),
      sh('exec sleep 300'),
    ]);
    await host.waitUntil(() => host.state(trapper!) === 'RUN' && host.state(plain!) === 'RUN', 30_000);
    // The shell has installed its trap once it says so (a fixed wait was too short under load).
    const out = backend.outputPaths(trapper!).stdout;
    await host.waitUntil(() => existsSync(out) && readFileSync(out, 'utf8').includes('ready'), 30_000);
    backend.kill(trapper!, 'SIGUSR1');
    backend.kill(plain!, 'SIGINT');
    await host.waitInactive([trapper!, plain!], 30_000);
    expect(host.status(trapper!)).toBe(7 << 8);
    expect(readFileSync(out, 'utf8')).toBe('ready\ngot USR1 1\ndone 1\n');
    expect(host.status(plain!)).toBe(2); // SIGINT
    expect(host.fatal(plain!)).toBeUndefined();
  });

  it('runs a job after its afterok dependency, even one submitted in the same call', async () => {
    const { backend, host } = cluster.rig();
    const marker = path.join(backend.logDir, 'first-done');
    const first = host.add(sh(`sleep 2; touch '${marker}'`));
    const second = host.add(sh(`test -e '${marker}'`), { dependsOn: [first] });
    host.active.add(first).add(second);
    backend.submit([first, second]);
    await host.waitInactive([first, second], 40_000);
    expect(host.status(first)).toBe(0);
    expect(host.status(second)).toBe(0);
    const t = (job: number, name: string) => host.calls.find((c) => c.job === job && c.name === name)!.at;
    expect(t(second, 'started')).toBeGreaterThanOrEqual(t(first, 'finished') - 1500);
    expect(await slurmField(host.nativeId(second)!, 'Dependency')).toMatch(/\(null\)|^$/);
  });

  it('a job depending on a failed job gets a dependency exception and never runs', async () => {
    const { backend, host } = cluster.rig();
    const [bad] = host.submit(backend, [sh('exit 1')]);
    const [dependent] = host.submit(backend, [sh('true')], { dependsOn: [bad!] });
    await host.waitInactive([bad!, dependent!], 40_000);
    expect(host.status(bad!)).toBe(256);
    expect(host.trace(dependent!)).toEqual(['exception:dependency', 'abandoned']);
  });

  it('dependencies that already ended are settled without asking Slurm (it forgets old jobs)', async () => {
    const { backend, host } = cluster.rig();
    const [good, bad] = host.submit(backend, [sh('true'), sh('exit 2')]);
    await host.waitInactive([good!, bad!], 30_000);
    const sbatchBefore = backend.commandCounts.sbatch;
    const [afterGood] = host.submit(backend, [sh('true')], { dependsOn: [good!] });
    const [afterBad] = host.submit(backend, [sh('true')], { dependsOn: [good!, bad!] });
    await host.waitInactive([afterGood!, afterBad!], 30_000);
    expect(host.trace(afterGood!)).toEqual(['started', 'finished']);
    expect(await slurmField(host.nativeId(afterGood!)!, 'Dependency')).toBe('(null)');
    expect(host.trace(afterBad!)).toEqual(['exception:dependency', 'abandoned']);
    expect(host.fatal(afterBad!)!.note).toBe(`dependency ${host.jobid(bad!).f58} did not complete`);
    expect(backend.commandCounts.sbatch).toBe(sbatchBefore! + 1);
  });

  it('a dependency whose sbatch failed fails its dependents without submitting them', async () => {
    const { backend, host } = cluster.rig();
    const [bad] = host.submit(backend, [sh('true', { queue: 'no-such-partition' })]);
    const [dependent] = host.submit(backend, [sh('true')], { dependsOn: [bad!] });
    await host.waitInactive([bad!, dependent!], 20_000);
    expect(host.trace(bad!)).toEqual(['exception:exec', 'abandoned']);
    expect(host.fatal(bad!)!.note).toMatch(/^sbatch failed: .*(partition|Invalid)/i);
    expect(host.fatal(bad!)!.note).not.toContain('\n');
    expect(host.trace(dependent!)).toEqual(['exception:dependency', 'abandoned']);
    expect(host.nativeId(dependent!)).toBeUndefined();
  });

  it('urgency 0 holds a job (--hold); raising it releases; lowering it to 0 holds again', async () => {
    const { backend, host } = cluster.rig();
    const [held] = host.submit(backend, [sh('true')], { urgency: 0 });
    const [gate] = host.submit(backend, [sh('sleep 300')]);
    const [later] = host.submit(backend, [sh('true')], { dependsOn: [gate!] });
    await host.waitUntil(() => [held, later].every((j) => host.nativeId(j!) !== undefined), 10_000);
    host.setUrgency(backend, later!, 0);
    await host.waitUntil(() => host.calls.some((c) => c.job === gate && c.name === 'started'), 30_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(host.state(held!)).toBe('SCHED');
    expect(await slurmField(host.nativeId(held!)!, 'Reason')).toBe('JobHeldUser');
    expect(await slurmField(host.nativeId(later!)!, 'Reason')).toMatch(/JobHeld(User|Admin)/);
    host.setUrgency(backend, held!, 16);
    await host.waitInactive([held!], 30_000);
    expect(host.trace(held!)).toEqual(['started', 'finished']);
    host.cancel(backend, gate!);
    host.cancel(backend, later!);
    await host.waitInactive([gate!, later!], 30_000);
  });

  it('adopts a job submitted with plain sbatch --wrap and follows it to its end', async () => {
    const { backend, host } = cluster.rig();
    const out = path.join(backend.logDir, 'adopted.out');
    const r = await execa('sbatch', ['--parsable', `--output=${out}`, '--wrap', 'sleep 1; echo adopted; exit 5']);
    const nativeId = String(r.stdout).trim();
    const job = host.add(Jobspec.fromCommand(['true']));
    host.active.add(job);
    backend.adopt(job, nativeId);
    await host.waitInactive([job], 30_000);
    expect(host.trace(job)).toEqual(['started', 'finished']);
    expect(host.status(job)).toBe(5 << 8);
    expect(backend.outputPaths(job).stdout).toBe(out);
    expect(readFileSync(out, 'utf8')).toBe('adopted\n');
  });

  it('adopting a job that jobfutures submitted (a restarted program) reads its status file', async () => {
    const first = cluster.rig();
    const [single] = first.host.submit(first.backend, [sh('sleep 1; kill -SEGV $$')]);
    const spec = sh('echo "$JOBFUTURES_JOB_ID"; exit 4');
    const fan = first.host.submit(first.backend, [spec, spec]);
    await first.host.waitUntil(() => [single, ...fan].every((j) => first.host.nativeId(j!) !== undefined), 10_000);
    await first.driver!.stop();
    const ids = [single!, ...fan].map((j) => first.host.nativeId(j)!);
    const { backend, host } = cluster.rig();
    const jobs = ids.map((id) => {
      const job = host.add(Jobspec.fromCommand(['true']));
      host.active.add(job);
      backend.adopt(job, id);
      return job;
    });
    await host.waitInactive(jobs, 30_000);
    expect(host.status(jobs[0]!)).toBe(11); // Slurm alone would say exit code 139
    expect(host.status(jobs[1]!)).toBe(4 << 8);
    expect(host.status(jobs[2]!)).toBe(4 << 8);
    expect(readFileSync(backend.outputPaths(jobs[2]!).stdout, 'utf8')).toBe(`${first.host.jobid(fan[1]!).f58}\n`);
  });

  it('adopting something that is not a Slurm job id raises lost', async () => {
    const { backend, host } = cluster.rig();
    const job = host.add(Jobspec.fromCommand(['true']));
    backend.adopt(job, 'not-an-id');
    expect(host.trace(job)).toEqual(['exception:lost', 'abandoned']);
  });

  it('runs several tasks with srun: ranks set, status is the largest', async () => {
    const { backend, host } = cluster.rig();
    const [job] = host.submit(backend, [sh('echo "rank $JOBFUTURES_TASK_RANK of $JOBFUTURES_JOB_SIZE $JOBFUTURES_JOB_ID"; [ "$JOBFUTURES_TASK_RANK" = 1 ] && exit 4; exit 0', { numTasks: 3 })]);
    await host.waitInactive([job!], 40_000);
    const f58 = host.jobid(job!).f58;
    const lines = readFileSync(backend.outputPaths(job!).stdout, 'utf8').trim().split('\n').sort();
    expect(lines).toEqual([0, 1, 2].map((r) => `rank ${r} of 3 ${f58}`));
    expect(host.status(job!)).toBe(4 << 8);
  });

  it('runs batch scripts (fromBatchCommand) from {{tmpdir}} with their arguments', async () => {
    const { backend, host } = cluster.rig();
    const spec = Jobspec.fromBatchCommand('#!/bin/sh\nprintf "[%s]" "$@" "$(basename "$(dirname "$0")")"\n', { args: ['a b', "it's"], environment: ENV });
    const [job] = host.submit(backend, [spec]);
    await host.waitInactive([job!], 30_000);
    expect(host.status(job!)).toBe(0);
    expect(readFileSync(backend.outputPaths(job!).stdout, 'utf8')).toBe(`[a b][it's][${host.jobid(job!).f58}.d]`);
  });

  it('a command that cannot start raises exec and finishes with 127, like the local backend', async () => {
    const { backend, host } = cluster.rig();
    const [missing, badCwd] = host.submit(backend, [
      Jobspec.fromCommand(['no-such-command-jf'], { environment: ENV }),
      Jobspec.fromCommand(['true'], { environment: ENV, cwd: '/no/such/dir' }),
    ]);
    await host.waitInactive([missing!, badCwd!], 30_000);
    // started only if a poll saw the batch script running (the local backend reports none)
    expect(host.trace(missing!).filter((c) => c !== 'started')).toEqual(['exception:exec', 'finished']);
    expect(host.fatal(missing!)!.note).toBe('cannot start job: no-such-command-jf: command not found');
    expect(host.status(missing!)).toBe(127 << 8);
    expect(host.fatal(badCwd!)!.note).toBe('cannot start job: cwd /no/such/dir: no such directory');
    expect(host.status(badCwd!)).toBe(127 << 8);
  });

  it('expands {{id}} and {{name}} in stdin/stdout/stderr, relative to cwd', async () => {
    const { backend, host } = cluster.rig();
    const input = path.join(backend.logDir, 'in.txt');
    writeFileSync(input, 'from stdin\n');
    const spec = Jobspec.fromCommand(['sh', '-c', 'cat; echo e >&2'], {
      environment: ENV,
      cwd: backend.logDir,
      name: "we'ird %j name",
      input: 'in.txt',
      output: 'o-{{id}}-{{name}}.txt',
      error: 'e-{{name}}.txt',
    });
    const [job] = host.submit(backend, [spec]);
    await host.waitInactive([job!], 30_000);
    const paths = backend.outputPaths(job!);
    expect(paths.stdout).toBe(path.join(backend.logDir, `o-${host.jobid(job!).f58}-we'ird %j name.txt`));
    expect(readFileSync(paths.stdout, 'utf8')).toBe('from stdin\n');
    expect(readFileSync(paths.stderr, 'utf8')).toBe('e\n');
    expect(existsSync(path.join(backend.logDir, "e-we'ird %j name.txt"))).toBe(true);
  });

  it('a requeued job goes back to SCHED and runs again (scontrol requeue)', async () => {
    const { backend, host } = cluster.rig();
    const count = path.join(backend.logDir, 'runs');
    const [job] = host.submit(backend, [sh(`echo run >>'${count}'; sleep 3`)]);
    await host.waitUntil(() => host.state(job!) === 'RUN', 30_000);
    await execa('scontrol', ['requeue', host.nativeId(job!)!]);
    await host.waitUntil(() => host.state(job!) === 'SCHED', 30_000);
    // Slurm delays a requeued job by two minutes (BeginTime): let it go sooner, but not within
    // the second of the requeue (the new launch would fail: "Job credential revoked").
    await new Promise((r) => setTimeout(r, 2000));
    await execa('scontrol', ['update', `JobId=${host.nativeId(job!)!}`, 'StartTime=now']);
    await host.waitInactive([job!], 60_000);
    expect(host.trace(job!)).toEqual(['started', 'requeued', 'started', 'finished']);
    expect(host.status(job!), `${readFileSync(count, 'utf8')} ${JSON.stringify(host.calls.filter((c) => c.job === job))}`).toBe(0);
    expect(readFileSync(count, 'utf8')).toBe('run\nrun\n');
  }, 120_000);

  it('a job Slurm does not know (vanished, no status file) is declared lost after the grace period', async () => {
    const { backend, host } = cluster.rig({ vanishGraceMs: 1000 });
    const job = host.add(Jobspec.fromCommand(['true']));
    host.active.add(job);
    backend.adopt(job, '999999990');
    await host.waitInactive([job], 20_000);
    expect(host.trace(job)).toEqual(['exception:lost', 'abandoned']);
    expect(host.fatal(job)!.note).toMatch(/999999990 left the queue without a status file/);
  });

  it('a job over its time limit gets a timeout exception, then finishes killed by SIGTERM (slow)', async () => {
    const { rig, job } = slow!;
    await rig.host.waitInactive([job], 180_000);
    if (slow!.seenRunningAt) console.info(`TIMEOUT arrived ${((Date.now() - slow!.seenRunningAt) / 1000).toFixed(0)} s after the start was seen`);
    expect(rig.host.trace(job)).toEqual(['started', 'exception:timeout', 'finished']);
    expect(rig.host.status(job)).toBe(15);
  }, 200_000);

  it('check() rejects what no Slurm job can receive', () => {
    const { backend } = cluster.rig();
    expect(() => backend.check(Jobspec.fromCommand(['echo', 'a\0b']))).toThrow(/NUL/);
    expect(() => backend.check(Jobspec.fromCommand(['echo'], { environment: { A: 'x\0' } }))).toThrow(/NUL/);
    expect(() => backend.check(Jobspec.fromCommand(['echo', 'ok']))).not.toThrow();
    const escaping = Jobspec.fromBatchCommand('#!/bin/sh\n').setAttribute('files', { '../evil': { data: 'x' } });
    expect(() => backend.check(escaping)).toThrow(/plain names/);
  });
});
