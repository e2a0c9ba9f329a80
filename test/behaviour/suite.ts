/**
 * The behaviour suite every backend must pass, against real processes (and a real scheduler).
 * `describeBackendBehaviour` is called once per backend with a factory for executors.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { asCompleted, JobExecutor, Jobspec, JobFailedError, TimeoutError, UnsatisfiableRequestError, wait, ExecutorShutdownError, type JobEvent, type JobFuture } from '../../src/index.js';
import { gated, processAlive, processesWithEnv, readPids, tempDir, waitFor } from './helpers.js';

/** What the suite needs to know about a backend. */
export interface BehaviourTarget {
  readonly name: string;
  /** Makes an executor on this backend; `maxCores` only where the backend honours it. */
  make(options?: { maxCores?: number; rejectOnFailure?: boolean; logDir?: string }): JobExecutor;
  /** A job duration (s) and a test timeout (ms) for the timeout test (Slurm rounds to minutes). */
  readonly timeout: { duration: number; testMs: number };
  /** The backend schedules into `maxCores` of this machine (the local backend). */
  readonly honoursMaxCores: boolean;
  /** Set for the whole file: jobs inherit it, so leftover processes can be found. */
  readonly marker: { key: string; value: string };
  /** Holds (urgency 0) are released by the backend, not the engine: allow time. */
  readonly slowScheduler?: boolean;
  /** The backend runs jobs of several tasks (default true); false: they are rejected by `check`. */
  readonly multiTask?: boolean;
  /**
   * The backend's jobs run under a job shell, as Flux's do: a task killed by signal N exits 128+N
   * (the result's return code, as `flux jobs` reports it), a missing executable fails after `start`
   * (the shell started), and a missing cwd is only the shell's warning (the task runs in the shell's).
   */
  readonly jobShell?: boolean;
  /** Names of the per-task variables when not JOBFUTURES_* (Flux's FLUX_TASK_RANK...), and the id they hold. */
  readonly taskVariables?: { readonly rank: string; readonly size: string; readonly id: string; idOf(future: JobFuture): string };
  /** Submits a job outside jobfutures and returns its native id (for `attach`); absent: not supported. */
  readonly submitElsewhere?: (command: string) => string;
}

const names = (events: readonly JobEvent[]) => events.map((e) => e.name);

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export function describeBackendBehaviour(target: BehaviourTarget): void {
  const executors: JobExecutor[] = [];
  const make = (options?: Parameters<BehaviourTarget['make']>[0]) => {
    const ex = target.make(options);
    executors.push(ex);
    return ex;
  };
  const marker = target.marker;
  const env = (extra: Record<string, string> = {}) => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', [marker.key]: marker.value, ...extra });

  afterAll(async () => {
    for (const ex of executors) {
      for (let job = 0; job < ex.reactor.totalJobs; job++) ex.reactor.cancel(job, 'test teardown');
      await ex.shutdown();
    }
    await waitFor(() => processesWithEnv(marker.key, marker.value).length === 0, 15_000, 'job processes to be gone').catch(() => {});
    expect(processesWithEnv(marker.key, marker.value)).toEqual([]);
  });

  describe(`${target.name}: simple jobs`, () => {
    it('runs a job to COMPLETED with the whole Flux eventlog in order', async () => {
      const ex = make();
      const fut = ex.submit(Jobspec.fromCommand(['true']));
      const r = await fut;
      expect(r.result).toBe('COMPLETED');
      expect(r.returncode).toBe(0);
      expect(r.waitstatus).toBe(0);
      expect(r.jobid.equals(fut.id!)).toBe(true);
      expect(r.nativeId).toBeDefined();
      expect(r.tSubmit).toBeLessThanOrEqual(r.tRun!);
      expect(r.tRun!).toBeLessThanOrEqual(r.tCleanup);
      const events = await collect(fut.events());
      expect(names(events)).toEqual(['submit', 'validate', 'depend', 'priority', 'alloc', 'start', 'finish', 'release', 'free', 'clean']);
      expect(events.find((e) => e.name === 'finish')!.context).toEqual({ status: 0 });
      expect(events.find((e) => e.name === 'submit')!.context).toMatchObject({ urgency: 16, version: 1 });
      const ts = events.map((e) => e.timestamp);
      expect([...ts].sort((a, b) => a - b)).toEqual(ts);
      expect(fut.done()).toBe(true);
      expect(fut.state).toBe('INACTIVE');
    });

    it('passes argv byte-exact, writes stdout and stderr files, reads stdin from a file', async () => {
      const dir = tempDir();
      const input = path.join(dir, 'in.txt');
      writeFileSync(input, 'line one\nline two\n');
      const args = ['--dash', 'with space', "qu'ote", 'dq"', '$HOME', '`x`', 'new\nline', 'ünï©ødé', ''];
      const ex = make();
      const fut = ex.submit(
        Jobspec.fromCommand(['sh', '-c', 'for a in "$@"; do printf "<%s>" "$a"; done; cat; echo oops >&2', 'sh', ...args], {
          input,
          output: path.join(dir, '{{id}}.stdout'),
          error: path.join(dir, '{{id}}.stderr'),
          environment: env(),
        }),
      );
      const r = await fut;
      expect(r.result).toBe('COMPLETED');
      expect(fut.stdoutPath).toBe(path.join(dir, `${fut.id!.f58}.stdout`));
      expect(await fut.readStdout()).toBe(args.map((a) => `<${a}>`).join('') + 'line one\nline two\n');
      expect(await fut.readStderr()).toBe('oops\n');
    });

    it('defaults stdout/stderr to <logDir>/<f58>.out|.err', async () => {
      const dir = tempDir();
      const ex = make({ logDir: dir });
      const fut = ex.submit(Jobspec.fromCommand(['sh', '-c', 'echo out; echo err >&2'], { environment: env() }));
      await fut;
      expect(fut.stdoutPath).toBe(path.join(dir, `${fut.id!.f58}.out`));
      expect(fut.stderrPath).toBe(path.join(dir, `${fut.id!.f58}.err`));
      expect(await fut.readStdout()).toBe('out\n');
      expect(await fut.readStderr()).toBe('err\n');
    });

    it("uses the jobspec's environment exactly, and the submitter's when it has none", async () => {
      const ex = make();
      const exact = ex.submit(Jobspec.fromCommand(['sh', '-c', 'env | sort'], { environment: env({ ONLY_THIS: 'a=b c' }) }));
      const out = (await exact, await exact.readStdout());
      expect(out).toContain('ONLY_THIS=a=b c\n');
      // (a variable named HOME: schedulers' own variables such as Grid Engine's SGE_O_HOME may stay)
      expect(out).not.toMatch(/^HOME=/m);
      process.env.JOBF_INHERITED_PROBE = 'inherited-42';
      const inherited = ex.submit(Jobspec.fromCommand(['sh', '-c', 'echo "$JOBF_INHERITED_PROBE"']));
      await inherited;
      expect(await inherited.readStdout()).toBe('inherited-42\n');
    });

    it('runs in the jobspec cwd', async () => {
      const dir = tempDir();
      const ex = make();
      const fut = ex.submit(Jobspec.fromCommand(['pwd'], { cwd: dir, environment: env() }));
      await fut;
      expect((await fut.readStdout()).trim()).toBe(dir);
    });

    it('gives every task its rank and the job size', async () => {
      const ex = make({ maxCores: 4 });
      if (target.multiTask === false) {
        await expect(ex.submit(Jobspec.fromCommand(['true'], { numTasks: 3 }))).rejects.toBeInstanceOf(UnsatisfiableRequestError);
        return;
      }
      const v = target.taskVariables ?? { rank: 'JOBFUTURES_TASK_RANK', size: 'JOBFUTURES_JOB_SIZE', id: 'JOBFUTURES_JOB_ID', idOf: (f: JobFuture) => f.id!.f58 };
      const fut = ex.submit(Jobspec.fromCommand(['sh', '-c', `echo "$${v.rank}/$${v.size} $${v.id}"`], { numTasks: 3, environment: env() }));
      const r = await fut;
      expect(r.result).toBe('COMPLETED');
      const lines = (await fut.readStdout()).trim().split('\n').sort();
      expect(lines).toEqual([0, 1, 2].map((rank) => `${rank}/3 ${v.idOf(fut)}`));
    });

    it('runs a batch script carried inside the jobspec', async () => {
      const ex = make();
      const fut = ex.submit(Jobspec.fromBatchCommand('#!/bin/sh\necho "batch $1"\n', { args: ['arg1'], environment: env() }));
      const r = await fut;
      expect(r.result).toBe('COMPLETED');
      expect(await fut.readStdout()).toBe('batch arg1\n');
    });
  });

  describe(`${target.name}: failures`, () => {
    it('reports a failing job as FAILED with its exit code', async () => {
      const ex = make();
      const r = await ex.submit(Jobspec.fromCommand(['sh', '-c', 'exit 3'], { environment: env() }));
      expect(r.result).toBe('FAILED');
      expect(r.returncode).toBe(3);
      expect(r.waitstatus).toBe(3 << 8);
      expect(r.exception).toBeUndefined();
    });

    it('reports a missing executable as FAILED with an exec exception and a clear note', async () => {
      const ex = make();
      const fut = ex.submit(Jobspec.fromCommand(['/nonexistent/jobf-no-such-program', 'x'], { environment: env() }));
      const r = await fut;
      expect(r.result).toBe('FAILED');
      expect(r.exception?.type).toBe('exec');
      expect(r.exception?.note).toMatch(/jobf-no-such-program/);
      expect(r.returncode).toBe(127);
      if (!target.jobShell) expect(names(await collect(fut.events()))).not.toContain('start');
    });

    it('readStdout of a job that never started says so, with its exception', async () => {
      const ex = make();
      const fut = ex.submit(Jobspec.fromCommand(['true'], { environment: env() }), { urgency: 0 });
      await expect(fut.readStderr()).rejects.toMatchObject({ code: 'ERR_OUTPUT_UNAVAILABLE', stream: 'stderr', message: expect.stringContaining('has not started yet') });
      fut.cancel('never mind');
      const r = await fut;
      expect(r.result).toBe('CANCELED');
      await expect(fut.readStdout()).rejects.toMatchObject({ code: 'ERR_OUTPUT_UNAVAILABLE', stream: 'stdout', message: expect.stringContaining('never started (CANCELED, cancel: never mind)') });
    });

    it('reports a bad cwd as an exec exception naming the folder', async () => {
      if (target.jobShell) return;
      const ex = make();
      const r = await ex.submit(Jobspec.fromCommand(['true'], { cwd: '/nonexistent/jobf-dir', environment: env() }));
      expect(r.result).toBe('FAILED');
      expect(r.exception?.type).toBe('exec');
      expect(r.exception?.note).toMatch(/\/nonexistent\/jobf-dir/);
    });

    it('rejects (typed) a job that asks for more cores than the executor has, and submits nothing', async () => {
      if (!target.honoursMaxCores) return;
      const ex = make({ maxCores: 2 });
      const fut = ex.submit(Jobspec.fromCommand(['true'], { numTasks: 3 }));
      await expect(fut).rejects.toBeInstanceOf(UnsatisfiableRequestError);
      await expect(fut.jobid()).rejects.toThrow(/3 cores.*2/);
      expect(fut.id).toBeUndefined();
      expect(ex.reactor.totalJobs).toBe(0);
    });

    it('rejects a plain object that is not a valid jobspec with a JSON pointer', async () => {
      const ex = make();
      const fut = ex.submit({ version: 1, resources: [], tasks: [], attributes: { system: { duration: 0 } } });
      await expect(fut).rejects.toMatchObject({ code: 'ERR_JOBSPEC_INVALID' });
      await expect(fut).rejects.toThrow(/invalid jobspec: \//);
    });

    it('rejects with JobFailedError under rejectOnFailure', async () => {
      const ex = make({ rejectOnFailure: true });
      const err = await ex.submit(Jobspec.fromCommand(['false'], { environment: env() })).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(JobFailedError);
      expect((err as JobFailedError).result.returncode).toBe(1);
      await expect(ex.submit(Jobspec.fromCommand(['true'], { environment: env() }))).resolves.toMatchObject({ result: 'COMPLETED' });
    });
  });

  describe(`${target.name}: cancel, kill, timeout`, () => {
    it('cancels a pending job: it never starts', async () => {
      const dir = tempDir();
      const ex = make({ maxCores: 1 });
      const blocker = ex.submit(Jobspec.fromCommand(gated(path.join(dir, 'go')), { environment: env() }));
      // where maxCores does not apply, a hold keeps the job pending
      const pending = ex.submit(Jobspec.fromCommand(['touch', path.join(dir, 'ran')], { environment: env() }), target.honoursMaxCores ? {} : { urgency: 0 });
      await waitFor(() => blocker.state === 'RUN', 60_000, 'blocker to run');
      expect(pending.cancel('not needed')).toBe(true);
      const r = await pending;
      expect(r.result).toBe('CANCELED');
      expect(r.returncode).toBe(-128);
      expect(r.exception).toMatchObject({ type: 'cancel', severity: 0, note: 'not needed' });
      expect(names(await collect(pending.events()))).not.toContain('start');
      expect(pending.cancelled()).toBe(true);
      expect(pending.cancel()).toBe(false);
      writeFileSync(path.join(dir, 'go'), '');
      await blocker;
      expect(existsSync(path.join(dir, 'ran'))).toBe(false);
    });

    it('cancels a running job and its whole process group', async () => {
      const dir = tempDir();
      const pids = path.join(dir, 'pids');
      const ex = make();
      const fut = ex.submit(Jobspec.fromCommand(['sh', '-c', 'sleep 300 & echo $! >> "$1"; echo $$ >> "$1"; wait', 'sh', pids], { environment: env() }));
      await waitFor(() => readPids(pids).length === 2 && fut.running(), 60_000, 'job to run and write its pids');
      const [grandchild, shell] = readPids(pids) as [number, number];
      expect(processAlive(grandchild)).toBe(true);
      expect(fut.running()).toBe(true);
      expect(ex.cancel(fut.id!)).toBe(true);
      const r = await fut;
      expect(r.result).toBe('CANCELED');
      expect(r.returncode).toBe(target.jobShell ? 128 + 15 : -15);
      await waitFor(() => !processAlive(grandchild) && !processAlive(shell), 10_000, 'process group to be gone');
    });

    it('ends a job that outlives its duration with TIMEOUT', async () => {
      const ex = make();
      const fut = ex.submit(Jobspec.fromCommand(['sleep', '300'], { duration: target.timeout.duration, environment: env() }));
      const r = await fut;
      expect(r.result).toBe('TIMEOUT');
      expect(r.exception?.type).toBe('timeout');
      if (target.jobShell) expect(r.returncode).toBeGreaterThan(128);
      else expect(r.returncode).toBeLessThan(0);
    }, target.timeout.testMs);

    it('sends a signal to a running job with kill', async () => {
      const dir = tempDir();
      const ready = path.join(dir, 'ready');
      const ex = make();
      const fut = ex.submit(Jobspec.fromCommand(['sh', '-c', 'touch "$1"; exec sleep 300', 'sh', ready], { environment: env() }));
      await waitFor(() => existsSync(ready) && fut.running(), 30_000, 'job to start');
      expect(ex.kill(fut.id!, 'SIGUSR1')).toBe(true);
      const r = await fut;
      expect(r.result).toBe('FAILED');
      expect(r.returncode).toBe(target.jobShell ? 128 + 10 : -10);
      expect(target.jobShell ? r.waitstatus! >> 8 : r.waitstatus! & 0x7f).toBe(target.jobShell ? 138 : 10);
      expect(ex.kill(fut.id!, 'SIGUSR1')).toBe(false);
    });

    it('cancels through an AbortSignal', async () => {
      const dir = tempDir();
      const ex = make();
      const ac = new AbortController();
      const fut = ex.submit(Jobspec.fromCommand(gated(path.join(dir, 'never')), { environment: env() }), { signal: ac.signal });
      await waitFor(() => fut.running(), 30_000, 'job to start');
      ac.abort(new Error('user gave up'));
      const r = await fut;
      expect(r.result).toBe('CANCELED');
      expect(r.exception?.note).toBe('aborted: user gave up');
    });
  });

  describe(`${target.name}: scheduling`, () => {
    it('never runs more cores than maxCores at once, and uses them all', async () => {
      if (!target.honoursMaxCores) return;
      const ex = make({ maxCores: 3 });
      let inUse = 0;
      let peak = 0;
      ex.on('event', (_id, ev) => {
        if (ev.name === 'alloc') peak = Math.max(peak, (inUse += ev.context!.cores as number));
        if (ev.name === 'free') inUse -= 1;
      });
      const futures = Array.from({ length: 24 }, () => ex.submit(Jobspec.fromCommand(['sh', '-c', 'sleep 0.05'], { environment: env() })));
      const { done, notDone } = await wait(futures);
      expect(done.size).toBe(24);
      expect(notDone.size).toBe(0);
      expect(peak).toBe(3);
    });

    it('starts jobs by urgency, ties in submit order, and holds urgency 0 until raised', async () => {
      if (!target.honoursMaxCores) return;
      const dir = tempDir();
      const ex = make({ maxCores: 1 });
      const started: string[] = [];
      ex.on('event', (id, ev) => {
        if (ev.name === 'start') started.push(id.f58);
      });
      const blocker = ex.submit(Jobspec.fromCommand(gated(path.join(dir, 'go')), { environment: env() }));
      await waitFor(() => blocker.running(), 30_000, 'blocker to run');
      const spec = Jobspec.fromCommand(['true'], { environment: env() });
      const low = ex.submit(spec, { urgency: 5 });
      const mid1 = ex.submit(spec);
      const held = ex.submit(spec, { urgency: 0 });
      const mid2 = ex.submit(spec);
      const top = ex.submit(spec, { urgency: 31 });
      writeFileSync(path.join(dir, 'go'), '');
      await wait([low, mid1, mid2, top]);
      expect(held.state).toBe('SCHED');
      expect(started.slice(1)).toEqual([top, mid1, mid2, low].map((f) => f.id!.f58));
      expect(ex.setUrgency(held.id!, 16)).toBe(true);
      expect((await held).result).toBe('COMPLETED');
    });

    it('holds a dependant in DEPEND until its dependency completes', async () => {
      const dir = tempDir();
      const ex = make();
      const first = ex.submit(Jobspec.fromCommand(gated(path.join(dir, 'go')), { environment: env() }));
      const second = ex.submit(Jobspec.fromCommand(['true'], { environment: env() }), { dependsOn: [first] });
      await waitFor(() => first.running(), 30_000, 'first to run');
      expect(second.state).toBe('DEPEND');
      writeFileSync(path.join(dir, 'go'), '');
      const [a, b] = await Promise.all([first, second]);
      expect(a.result).toBe('COMPLETED');
      expect(b.result).toBe('COMPLETED');
      // (a polling backend's timestamps are the times of the polls that saw the changes)
      expect(b.tRun!).toBeGreaterThanOrEqual(target.honoursMaxCores ? a.tCleanup : a.tRun!);
    });

    it('raises a dependency exception when a dependency ends otherwise', async () => {
      const ex = make();
      const first = ex.submit(Jobspec.fromCommand(['false'], { environment: env() }));
      const second = ex.submit(Jobspec.fromCommand(['true'], { environment: env() }), { dependsOn: [first.id!] });
      const r = await second;
      expect(r.result).toBe('FAILED');
      expect(r.exception?.type).toBe('dependency');
      expect(names(await collect(second.events()))).not.toContain('start');
      const late = await ex.submit(Jobspec.fromCommand(['true'], { environment: env() }), { dependsOn: [first] });
      expect(late.exception?.type).toBe('dependency');
    });

    it('runs an afterany dependant after its dependency failed; an afterok one never starts', async () => {
      const ex = make();
      const dir = tempDir();
      const ended = path.join(dir, 'ended');
      const first = ex.submit(Jobspec.fromCommand(['sh', '-c', 'while [ ! -e "$1" ]; do sleep 0.05; done; date +%s.%N > "$2"; exit 3', 'sh', path.join(dir, 'go'), ended], { environment: env() }));
      const mark = path.join(dir, 'after-any');
      const anyDep = ex.submit(Jobspec.fromCommand(['sh', '-c', 'date +%s.%N > "$1"', 'sh', mark], { environment: env() }), { dependsOnAny: [first] });
      const okDep = ex.submit(Jobspec.fromCommand(['touch', path.join(dir, 'after-ok')], { environment: env() }), { dependsOn: [first] });
      const both = ex.submit(Jobspec.fromCommand(['true'], { environment: env() }), { dependsOnAny: [first], dependsOn: [anyDep] });
      await waitFor(() => anyDep.state === 'DEPEND' || anyDep.state === 'SCHED', 10_000, 'the dependant to be pending');
      expect(existsSync(mark)).toBe(false);
      writeFileSync(path.join(dir, 'go'), '');
      const [r1, rAny, rOk, rBoth] = await Promise.all([first, anyDep, okDep, both]);
      expect([r1.result, r1.returncode]).toEqual(['FAILED', 3]);
      expect(rAny.result).toBe('COMPLETED');
      // it ran after the dependency ended, by the jobs' own clocks
      expect(Number(readFileSync(mark, 'utf8'))).toBeGreaterThan(Number(readFileSync(ended, 'utf8')));
      expect(rOk.result).not.toBe('COMPLETED');
      expect(existsSync(path.join(dir, 'after-ok'))).toBe(false);
      expect(rBoth.result).toBe('COMPLETED');
    });

    it('rejects an unknown dependency with a typed error', async () => {
      const ex = make();
      await expect(ex.submit(Jobspec.fromCommand(['true']), { dependsOn: ['ƒ2ZZZZZZZZZ'] })).rejects.toMatchObject({ code: 'ERR_UNKNOWN_JOB', argument: 'dependsOn[0]' });
    });
  });

  describe(`${target.name}: holds, fan-outs, attach`, () => {
    it('holds a job with urgency 0 until its urgency is raised', async () => {
      const ex = make();
      const held = ex.submit(Jobspec.fromCommand(['true'], { environment: env() }), { urgency: 0 });
      const other = ex.submit(Jobspec.fromCommand(['true'], { environment: env() }));
      expect((await other).result).toBe('COMPLETED');
      expect(held.state).toBe('SCHED');
      expect(held.running() || held.done()).toBe(false);
      expect(ex.setUrgency(held.id!, 16)).toBe(true);
      const r = await held;
      expect(r.result).toBe('COMPLETED');
      expect(r.tRun!).toBeGreaterThan((await other).tCleanup);
    }, 120_000);

    it('runs a fan-out of 200 jobs of one spec, each with its own id and output', async () => {
      const ex = make({ maxCores: 4 });
      const idVar = target.taskVariables?.id ?? 'JOBFUTURES_JOB_ID';
      const spec = Jobspec.fromCommand(['sh', '-c', `echo "$${idVar}"`], { environment: env() });
      const futures = Array.from({ length: 200 }, () => ex.submit(spec));
      const { done, notDone } = await wait(futures);
      expect(done.size).toBe(200);
      expect(notDone.size).toBe(0);
      expect(futures.every((f) => f.peek()?.result === 'COMPLETED')).toBe(true);
      expect(new Set(futures.map((f) => f.id!.f58)).size).toBe(200);
      for (const f of [futures[0]!, futures[99]!, futures[199]!]) expect((await f.readStdout()).trim()).toBe(target.taskVariables?.idOf(f) ?? f.id!.f58);
    }, 180_000);

    it('attaches to a job submitted elsewhere and follows it to its result', async () => {
      if (!target.submitElsewhere) return;
      const nativeId = target.submitElsewhere('exit 7');
      const ex = make();
      const fut = ex.attach(nativeId);
      const r = await fut;
      expect(fut.nativeId).toBe(nativeId);
      expect(r.result).toBe('FAILED');
      expect(r.returncode).toBe(7);
    }, 120_000);
  });

  describe(`${target.name}: events and helpers`, () => {
    it('replays events to late consumers and follows live for early ones', async () => {
      const dir = tempDir();
      const ex = make();
      const fut = ex.submit(Jobspec.fromCommand(gated(path.join(dir, 'go')), { environment: env() }));
      const early = collect(fut.events());
      const early2 = collect(fut.events());
      const started: string[] = [];
      const off = fut.addEventCallback('start', (f, ev) => started.push(`${f.id!.f58}@${ev.timestamp}`));
      await waitFor(() => fut.running(), 30_000, 'job to start');
      const mid = collect(fut.events());
      writeFileSync(path.join(dir, 'go'), '');
      await fut;
      const late = await collect(fut.events());
      expect(names(late)).toEqual(['submit', 'validate', 'depend', 'priority', 'alloc', 'start', 'finish', 'release', 'free', 'clean']);
      expect(await early).toEqual(late);
      expect(await early2).toEqual(late);
      expect(await mid).toEqual(late);
      expect(started).toHaveLength(1);
      off();
      const replayed: string[] = [];
      fut.addEventCallback('finish', () => replayed.push('finish'));
      expect(replayed).toEqual(['finish']);
    });

    it('asCompleted yields futures in completion order', async () => {
      const dir = tempDir();
      const ex = make({ maxCores: 4 });
      const futures = [0, 1, 2].map((i) => ex.submit(Jobspec.fromCommand(gated(path.join(dir, `go${i}`)), { environment: env() })));
      await waitFor(() => futures.every((f) => f.running()), 30_000, 'jobs to start');
      const order: JobFuture[] = [];
      const consumer = (async () => {
        for await (const { future, result } of asCompleted(futures)) {
          expect(result?.result).toBe('COMPLETED');
          order.push(future);
          const next = 2 - order.length;
          if (next >= 0) writeFileSync(path.join(dir, `go${next}`), '');
        }
      })();
      writeFileSync(path.join(dir, 'go2'), '');
      await consumer;
      expect(order).toEqual([futures[2], futures[1], futures[0]]);
      const never = ex.submit(Jobspec.fromCommand(gated(path.join(dir, 'never')), { environment: env() }));
      await expect(async () => {
        for await (const _ of asCompleted([never], { timeout: 200 })) void _;
      }).rejects.toBeInstanceOf(TimeoutError);
      expect(never.done()).toBe(false);
      never.cancel();
      expect((await never).result).toBe('CANCELED');
    });

    it('wait honours FIRST_COMPLETED, FIRST_EXCEPTION and ALL_COMPLETED', async () => {
      const dir = tempDir();
      const ex = make();
      const slow = ex.submit(Jobspec.fromCommand(gated(path.join(dir, 'go')), { environment: env() }));
      const fast = ex.submit(Jobspec.fromCommand(['true'], { environment: env() }));
      const first = await wait([slow, fast], { returnWhen: 'FIRST_COMPLETED' });
      expect([...first.done]).toEqual([fast]);
      expect([...first.notDone]).toEqual([slow]);
      const failing = ex.submit(Jobspec.fromCommand(['false'], { environment: env() }));
      const ok = ex.submit(Jobspec.fromCommand(['true'], { environment: env() }));
      const firstExc = await wait([slow, ok, failing], { returnWhen: 'FIRST_EXCEPTION' });
      expect(firstExc.done.has(failing)).toBe(true);
      expect(firstExc.notDone.has(slow)).toBe(true);
      const timedOut = await wait([slow], { timeout: 100 });
      expect(timedOut.notDone.has(slow)).toBe(true);
      await expect(slow.result({ timeout: 50 })).rejects.toBeInstanceOf(TimeoutError);
      expect(slow.running()).toBe(true);
      writeFileSync(path.join(dir, 'go'), '');
      const all = await wait([slow, fast, failing, ok]);
      expect(all.done.size).toBe(4);
      expect(all.notDone.size).toBe(0);
    });

    it('map keeps at most maxInFlight jobs in flight and yields in order', async () => {
      const ex = make();
      let pulled = 0;
      let yielded = 0;
      let worst = 0;
      function* specs() {
        for (let i = 0; i < 20; i++) {
          pulled++;
          worst = Math.max(worst, pulled - yielded);
          yield Jobspec.fromCommand(['sh', '-c', `exit ${i % 3}`], { environment: env() });
        }
      }
      const codes: number[] = [];
      for await (const r of ex.map(specs(), { maxInFlight: 3 })) {
        yielded++;
        codes.push(r.returncode);
      }
      expect(codes).toEqual(Array.from({ length: 20 }, (_, i) => i % 3));
      expect(worst).toBeLessThanOrEqual(3);
      const unordered: number[] = [];
      for await (const r of ex.map([0, 1, 2, 3].map((i) => Jobspec.fromCommand(['sh', '-c', `exit ${i}`], { environment: env() })), { ordered: false, maxInFlight: 2 })) unordered.push(r.returncode);
      expect(unordered.sort()).toEqual([0, 1, 2, 3]);
    });

    it('watch() yields every event of every job', async () => {
      const ex = make();
      const seen: string[] = [];
      const ac = new AbortController();
      const watcher = (async () => {
        for await (const { jobid, event } of ex.watch({ signal: ac.signal })) {
          seen.push(`${jobid.f58}:${event.name}`);
          if (seen.filter((s) => s.endsWith(':clean')).length === 2) ac.abort();
        }
      })();
      const a = ex.submit(Jobspec.fromCommand(['true'], { environment: env() }));
      const b = ex.submit(Jobspec.fromCommand(['true'], { environment: env() }));
      await Promise.all([a, b, watcher]);
      for (const f of [a, b]) expect(seen.filter((s) => s.startsWith(`${f.id!.f58}:`)).map((s) => s.split(':')[1])).toEqual(['submit', 'validate', 'depend', 'priority', 'alloc', 'start', 'finish', 'release', 'free', 'clean']);
    });
  });

  describe(`${target.name}: shutdown`, () => {
    it('shutdown waits for jobs; submit afterwards throws ExecutorShutdownError', async () => {
      const ex = make();
      const fut = ex.submit(Jobspec.fromCommand(['sh', '-c', 'sleep 0.2'], { environment: env() }));
      await ex.shutdown();
      expect(fut.done()).toBe(true);
      expect((await fut).result).toBe('COMPLETED');
      expect(() => ex.submit(Jobspec.fromCommand(['true']))).toThrow(ExecutorShutdownError);
    });

    it('shutdown with cancelFutures cancels jobs that have not started, lets running ones finish', async () => {
      if (!target.honoursMaxCores) return;
      const dir = tempDir();
      const ex = make({ maxCores: 1 });
      const running = ex.submit(Jobspec.fromCommand(gated(path.join(dir, 'go')), { environment: env() }));
      const queued = ex.submit(Jobspec.fromCommand(['true'], { environment: env() }));
      await waitFor(() => running.running(), 30_000, 'job to start');
      const done = ex.shutdown({ cancelFutures: true });
      expect((await queued).result).toBe('CANCELED');
      writeFileSync(path.join(dir, 'go'), '');
      await done;
      expect((await running).result).toBe('COMPLETED');
    });

    it('await using shuts the executor down', async () => {
      let outer: JobExecutor;
      {
        await using ex = make();
        outer = ex;
        ex.submit(Jobspec.fromCommand(['true'], { environment: env() }));
      }
      expect(outer.isShutdown).toBe(true);
      expect(outer.reactor.activeJobs).toBe(0);
    });
  });

  void readFileSync;
}
