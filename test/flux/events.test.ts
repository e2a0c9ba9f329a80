/**
 * Every event of a Flux job is Flux's own: names, timestamps and contexts equal `flux job eventlog`
 * for the same jobs, from `submit` (with Flux's userid, urgency and flags), `validate`, `depend` and
 * `priority` (with Flux's priority) to `clean`, on a job with a dependency and on one held at
 * urgency 0 and released; live watchers, late readers and the store all get the same log.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { JobExecutor, JobID, JobStore, Jobspec, type JobEvent, type JobFuture } from '../../src/index.js';
import { gated, tempDir, waitFor } from '../behaviour/helpers.js';
import { describeFlux, fluxEventlog, type FluxLogEntry } from './instance.js';

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

/** Flux's entries that are job events (not `dependency-add`, `memo`, `annotations`...). */
const JOB_EVENTS = new Set(['submit', 'validate', 'depend', 'priority', 'urgency', 'alloc', 'start', 'exception', 'finish', 'release', 'free', 'clean']);

/** Flux's job events of a job, shaped as ours (no `context` key when Flux logs none). */
function fluxEvents(inst: { uri: string; flux: string }, fut: JobFuture): JobEvent[] {
  return fluxEventlog(inst, JobID.parse(fut.nativeId!).dec)
    .filter((e: FluxLogEntry) => JOB_EVENTS.has(e.name))
    .map((e) => (e.context && Object.keys(e.context).length > 0 ? { name: e.name, timestamp: e.timestamp, context: e.context } : { name: e.name, timestamp: e.timestamp }) as JobEvent);
}

async function collect(fut: JobFuture): Promise<JobEvent[]> {
  const out: JobEvent[] = [];
  for await (const ev of fut.events()) out.push(ev);
  return out;
}

describeFlux("Flux's eventlog, one to one", (inst) => {
  const executors: JobExecutor[] = [];
  afterAll(async () => {
    for (const ex of executors) {
      for (let job = 0; job < ex.reactor.totalJobs; job++) ex.reactor.cancel(job, 'test teardown');
      await ex.shutdown();
    }
  });

  it('gives every event with Flux’s name, timestamp and context, for a dependent job and a held one', async () => {
    const dir = tempDir();
    const store = JobStore.open(path.join(dir, 'jobs.db'));
    const ex = new JobExecutor({ backend: 'flux', uri: inst.uri, logDir: path.join(dir, 'logs'), store, rejectOnFailure: false });
    executors.push(ex);
    const gate = path.join(dir, 'go');
    const first = ex.submit(Jobspec.fromCommand(gated(gate), { environment: env }));
    const dependent = ex.submit(Jobspec.fromCommand(['sh', '-c', 'exit 3'], { environment: env }), { dependsOn: [first] });
    const held = ex.submit(Jobspec.fromCommand(['true'], { environment: env }), { urgency: 0 });
    const expedited = ex.submit(Jobspec.fromCommand(['true'], { environment: env }), { urgency: 31 });
    const futures = [first, dependent, held, expedited];
    const live = futures.map(() => [] as JobEvent[]);
    const watching = futures.map(async (f, i) => {
      for await (const ev of f.events()) live[i]!.push(ev);
    });

    // Nothing is made up before Flux has the job: the first event is Flux's submit.
    expect(ex.reactor.eventsOf(held.id!)).toEqual([]);
    await waitFor(() => ex.reactor.eventsOf(held.id!).some((e) => e.name === 'priority'), 30_000, "the held job's priority");
    const queued = ex.reactor.eventsOf(held.id!);
    expect(queued.map((e) => e.name)).toEqual(['submit', 'validate', 'depend', 'priority']);
    expect(queued[0]!.context).toMatchObject({ urgency: 0, flags: 0 });
    expect(queued[3]!.context).toEqual({ priority: 0 });
    expect(held.state).toBe('SCHED');
    // the dependent job waits in Flux: submit and validate, no depend before its dependency ends
    await waitFor(() => first.running(), 30_000, 'the first job to run');
    expect(ex.reactor.eventsOf(dependent.id!).map((e) => e.name)).toEqual(['submit', 'validate']);

    expect(ex.setUrgency(held.id!, 16)).toBe(true);
    writeFileSync(gate, '');
    const results = await Promise.all(futures);
    await Promise.all(watching);
    expect(results.map((r) => [r.result, r.returncode])).toEqual([
      ['COMPLETED', 0],
      ['FAILED', 3],
      ['COMPLETED', 0],
      ['COMPLETED', 0],
    ]);

    for (const [i, fut] of futures.entries()) {
      const theirs = fluxEvents(inst, fut);
      expect(live[i]).toEqual(theirs);
      expect(await collect(fut)).toEqual(theirs);
      expect(results[i]!.tSubmit).toBe(theirs[0]!.timestamp);
      // the store holds the same eventlog
      await waitFor(() => store.get(fut.id!)?.state === 'INACTIVE', 10_000, 'the store to have the clean');
      const stored = store.events(fut.id!).map(({ name, timestamp, context }) => (context ? { name, timestamp, context } : { name, timestamp }));
      expect(stored).toEqual(theirs);
    }
    // what the held job went through: urgency 0, then released with a new priority from Flux
    expect(live[2]!.map((e) => e.name)).toEqual(['submit', 'validate', 'depend', 'priority', 'urgency', 'priority', 'alloc', 'start', 'finish', 'release', 'free', 'clean']);
    expect(live[2]!.filter((e) => e.name === 'priority').map((e) => e.context)).toEqual([{ priority: 0 }, { priority: 16 }]);
    // Flux's priority for urgency 31 is its own (the largest), not the urgency
    expect(live[3]!.find((e) => e.name === 'priority')!.context).toEqual({ priority: 4294967295 });
    // the dependent job's depend comes after its dependency's clean
    expect(live[1]!.find((e) => e.name === 'depend')!.timestamp).toBeGreaterThanOrEqual(live[0]!.find((e) => e.name === 'clean')!.timestamp);
  }, 120_000);

  it("fills in the engine's own submit for a job canceled before it reached Flux", async () => {
    const ex = new JobExecutor({ backend: 'flux', uri: inst.uri, logDir: tempDir('jobf-flux-'), rejectOnFailure: false });
    executors.push(ex);
    const fut = ex.submit(Jobspec.fromCommand(['true'], { environment: env }));
    expect(fut.cancel('not wanted')).toBe(true);
    const r = await fut;
    expect(r.result).toBe('CANCELED');
    expect(fut.nativeId).toBeUndefined();
    const events = await collect(fut);
    expect(events.map((e) => e.name)).toEqual(['submit', 'validate', 'exception', 'clean']);
    expect(events[0]!.timestamp).toBe(r.tSubmit);
  }, 60_000);
});
