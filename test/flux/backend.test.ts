/**
 * The Flux backend against the real instance (scripts/flux/start-dev-instance.sh): results equal
 * `flux jobs --json` on a mix, events are Flux's (order and timestamps), 1,000 jobs go over one
 * connection without a child process, and a lost connection is reopened without false failures.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { FluxBackend, JobExecutor, JobID, Jobspec, type JobEvent, type JobFuture } from '../../src/index.js';
import { gated, tempDir, waitFor } from '../behaviour/helpers.js';
import { describeFlux, fluxCmd, fluxEventlog as fluxLog } from './instance.js';

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

/** `flux jobs -a --json` records of the given Flux ids, by decimal id. */
function fluxJobs(inst: { uri: string; flux: string }, ids: readonly string[]): Map<string, Record<string, unknown>> {
  const out = JSON.parse(fluxCmd(inst, ['jobs', '-a', '--json', ...ids.map((id) => JobID.parse(id).dec)])) as { jobs: Record<string, unknown>[] };
  return new Map(out.jobs.map((j) => [String(j.id), j]));
}

/** A job's eventlog as Flux keeps it, by its native id. */
function fluxEventlog(inst: { uri: string; flux: string }, nativeId: string): { name: string; timestamp: number; context: Record<string, unknown> }[] {
  return fluxLog(inst, JobID.parse(nativeId).dec).map((e) => ({ ...e, context: e.context ?? {} }));
}

/** Pids of this process's children (from /proc). */
function childPids(): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

async function collect(fut: JobFuture): Promise<JobEvent[]> {
  const out: JobEvent[] = [];
  for await (const ev of fut.events()) out.push(ev);
  return out;
}

describeFlux('the Flux backend on the real instance', (inst) => {
  const executors: JobExecutor[] = [];
  const make = (options: { logDir?: string } = {}) => {
    const ex = new JobExecutor({ backend: 'flux', uri: inst.uri, logDir: options.logDir ?? tempDir('jobf-flux-'), rejectOnFailure: false });
    executors.push(ex);
    return ex;
  };
  afterAll(async () => {
    for (const ex of executors) {
      for (let job = 0; job < ex.reactor.totalJobs; job++) ex.reactor.cancel(job, 'test teardown');
      await ex.shutdown();
    }
  });

  it('gives the results, return codes and exceptions `flux jobs --json` gives, on a mix', async () => {
    const dir = tempDir();
    const ex = make();
    const ready = path.join(dir, 'ready');
    const ok = ex.submit(Jobspec.fromCommand(['true'], { environment: env }));
    const three = ex.submit(Jobspec.fromCommand(['sh', '-c', 'exit 3'], { environment: env }));
    const signal = ex.submit(Jobspec.fromCommand(['sh', '-c', 'kill -USR1 $$'], { environment: env }));
    const cancel = ex.submit(Jobspec.fromCommand(['sh', '-c', 'touch "$1"; exec sleep 300', 'sh', ready], { environment: env }));
    const timeout = ex.submit(Jobspec.fromCommand(['sleep', '300'], { duration: 1, environment: env }));
    const depFail = ex.submit(Jobspec.fromCommand(['true'], { environment: env }), { dependsOn: [three] });
    const anyOk = ex.submit(Jobspec.fromCommand(['true'], { environment: env }), { dependsOnAny: [three] });
    const heldCancel = ex.submit(Jobspec.fromCommand(['true'], { environment: env }), { urgency: 0 });
    const missing = ex.submit(Jobspec.fromCommand(['/nonexistent/jobf-flux-missing'], { environment: env }));
    await waitFor(() => existsSync(ready) && cancel.running(), 60_000, 'the job to cancel to run');
    expect(ex.cancel(cancel.id!)).toBe(true);
    await waitFor(() => heldCancel.nativeId !== undefined, 30_000, 'the held job to reach Flux');
    expect(heldCancel.cancel('not wanted')).toBe(true);
    const futures = [ok, three, signal, cancel, timeout, depFail, anyOk, heldCancel, missing];
    const results = await Promise.all(futures);
    const flux = fluxJobs(inst, futures.map((f) => f.nativeId!));
    const ours = results.map((r) => ({ result: r.result, returncode: r.returncode, waitstatus: r.waitstatus, exception: r.exception?.type }));
    const theirs = futures.map((f) => {
      const j = flux.get(JobID.parse(f.nativeId!).dec)!;
      const exc = j.exception as { occurred?: boolean; type?: string } | undefined;
      return { result: j.result, returncode: j.returncode, waitstatus: j.waitstatus, exception: exc?.occurred ? exc.type : undefined };
    });
    expect(ours).toEqual(theirs);
    expect(ours.map((r) => r.result)).toEqual(['COMPLETED', 'FAILED', 'FAILED', 'CANCELED', 'TIMEOUT', 'FAILED', 'COMPLETED', 'CANCELED', 'FAILED']);
    expect(ours.map((r) => r.exception)).toEqual([undefined, undefined, undefined, 'cancel', 'timeout', 'dependency', undefined, 'cancel', 'exec']);
  }, 120_000);

  it("delivers Flux's events in Flux's order with Flux's timestamps and contexts", async () => {
    const ex = make();
    const live: JobEvent[] = [];
    const fut = ex.submit(Jobspec.fromCommand(['sh', '-c', 'exit 2'], { environment: env }));
    const watching = (async () => {
      for await (const ev of fut.events()) live.push(ev);
    })();
    await fut;
    await watching;
    const eventlog = fluxEventlog(inst, fut.nativeId!);
    // every event is Flux's, from its submit on (test/flux/events.test.ts compares the contexts too)
    expect(live.map((e) => [e.name, e.timestamp])).toEqual(eventlog.map((e) => [e.name, e.timestamp]));
    expect(live.find((e) => e.name === 'finish')!.context).toEqual(eventlog.find((e) => e.name === 'finish')!.context);
    expect((await fut).tSubmit).toBe(eventlog[0]!.timestamp);
    // a late consumer gets exactly what the live one got
    expect(await collect(fut)).toEqual(live);
    // an exception raised inside Flux (timeout) with its severity and note, at Flux's time
    const t = ex.submit(Jobspec.fromCommand(['sleep', '300'], { duration: 1, environment: env }));
    const exc = (await collect(t)).find((e) => e.name === 'exception')!;
    const fluxExc = fluxEventlog(inst, t.nativeId!).find((e) => e.name === 'exception')!;
    expect(exc.timestamp).toBe(fluxExc.timestamp);
    expect(exc.context).toEqual({ type: 'timeout', severity: 0, note: fluxExc.context.note });
  }, 60_000);

  it('passes a non-fatal exception raised in Flux on with its severity, note and timestamp', async () => {
    const dir = tempDir();
    const ex = make();
    const fut = ex.submit(Jobspec.fromCommand(gated(path.join(dir, 'go')), { environment: env }));
    await waitFor(() => fut.running(), 60_000, 'the job to run');
    fluxCmd(inst, ['job', 'raise', '--severity=3', '--type=checkpoint', '--message=just saying', JobID.parse(fut.nativeId!).dec]);
    await waitFor(() => ex.reactor.eventsOf(fut.id!).some((e) => e.name === 'exception'), 30_000, 'the exception');
    expect(fut.running()).toBe(true);
    writeFileSync(path.join(dir, 'go'), '');
    const r = await fut;
    expect([r.result, r.exception]).toEqual(['COMPLETED', undefined]);
    const exc = (await collect(fut)).find((e) => e.name === 'exception')!;
    const fluxExc = fluxEventlog(inst, fut.nativeId!).find((e) => e.name === 'exception')!;
    expect(exc).toEqual({ name: 'exception', timestamp: fluxExc.timestamp, context: { type: 'checkpoint', severity: 3, note: 'just saying' } });
  }, 60_000);

  it("kill at a job's `start` event reaches its tasks (sent once the shell has launched them)", async () => {
    const ex = make();
    const futures = Array.from({ length: 5 }, () => ex.submit(Jobspec.fromCommand(['sleep', '300'], { environment: env })));
    const sent: boolean[] = [];
    ex.on('event', (id, ev) => {
      if (ev.name === 'start') sent.push(ex.kill(id, 'SIGUSR1'));
    });
    const results = await Promise.all(futures);
    expect(sent).toEqual(Array(5).fill(true));
    expect(results.map((r) => [r.result, r.returncode])).toEqual(Array(5).fill(['FAILED', 128 + 10]));
  }, 60_000);

  it('runs 1,000 jobs over one connection without starting a child process', async () => {
    const ex = make();
    const backend = ex.reactor.backend as FluxBackend;
    let children = 0;
    const sampler = setInterval(() => (children = Math.max(children, childPids().length)), 25);
    const spec = Jobspec.fromObject({
      version: 1,
      resources: [{ type: 'slot', count: 1, label: 'task', with: [{ type: 'core', count: 1 }] }],
      tasks: [{ command: ['true'], slot: 'task', count: { per_slot: 1 } }],
      attributes: { system: { duration: 0, environment: env, exec: { test: { run_duration: '0.001s' } } } },
    });
    try {
      const futures = Array.from({ length: 1000 }, () => ex.submit(spec));
      const results = await Promise.all(futures);
      expect(results.every((r) => r.result === 'COMPLETED')).toBe(true);
      expect(new Set(futures.map((f) => f.nativeId)).size).toBe(1000);
    } finally {
      clearInterval(sampler);
    }
    expect(backend.connections).toBe(1);
    expect(children).toBe(0);
  }, 300_000);

  it('reopens a lost connection with backoff and follows every job to its real result', async () => {
    const dir = tempDir();
    const ex = make();
    const backend = ex.reactor.backend as FluxBackend;
    const errors: Error[] = [];
    backend.onConnectionError((e) => errors.push(e));
    const gate = path.join(dir, 'go');
    const running = [0, 3].map((code) => ex.submit(Jobspec.fromCommand(gated(gate, `exit ${code}`), { environment: env })));
    const quick = ex.submit(Jobspec.fromCommand(['true'], { environment: env }));
    await waitFor(() => running.every((f) => f.running()) && quick.done(), 60_000, 'the jobs to run');
    backend.dropConnection();
    // while disconnected: the running jobs end, one job is submitted and one canceled
    writeFileSync(gate, '');
    const during = ex.submit(Jobspec.fromCommand(['sh', '-c', 'exit 4'], { environment: env }));
    const results = await Promise.all([...running, during]);
    expect(results.map((r) => [r.result, r.returncode])).toEqual([
      ['COMPLETED', 0],
      ['FAILED', 3],
      ['FAILED', 4],
    ]);
    expect(backend.connections).toBe(2);
    expect(errors.length).toBeGreaterThanOrEqual(1);
    for (const f of running) expect((await collect(f)).map((e) => e.name)).toEqual(['submit', 'validate', 'depend', 'priority', 'alloc', 'start', 'finish', 'release', 'free', 'clean']);
  }, 120_000);

  it('attaches to a `flux submit` job by its F58, decimal or ASCII id', async () => {
    const f58 = fluxCmd(inst, ['submit', '--output=/dev/null', 'sh', '-c', 'exit 5']).trim();
    const ex = make();
    const byDec = ex.attach(JobID.parse(f58).dec);
    const byF58 = ex.attach(f58);
    const [a, b] = await Promise.all([byDec, byF58]);
    expect([a.result, a.returncode, b.result, b.returncode]).toEqual(['FAILED', 5, 'FAILED', 5]);
    expect(a.tRun).toBe(b.tRun);
  }, 60_000);
});
