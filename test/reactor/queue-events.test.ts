/**
 * The `reportsQueueEvents` capability of the backend contract: a backend whose engine keeps each
 * job's eventlog (Flux) reports `submit`, `validate`, `depend`, `priority` and `urgency` itself, and
 * the engine emits none of them; live watchers, the rebuilt log, the result's `tSubmit`, a job that
 * never reached the backend, and a job restored from a store all hold the backend's events.
 */
import { describe, expect, it } from 'vitest';
import type { Backend, BackendHost, JobHandle, RecoverInfo } from '../../src/core/backend.js';
import { JobID, Jobspec, Reactor, type JobEvent } from '../../src/index.js';

/** A backend that reports every event itself, when the test says so. */
function reportingBackend(): Backend & { host: BackendHost; handed: JobHandle[]; canceled: JobHandle[]; recovered: [JobHandle, RecoverInfo][] } {
  const backend = {
    name: 'reporting',
    capabilities: { nativeDependencies: ['afterok', 'afterany'] as const, adopt: false, reportsQueueEvents: true },
    host: undefined as unknown as BackendHost,
    handed: [] as JobHandle[],
    canceled: [] as JobHandle[],
    recovered: [] as [JobHandle, RecoverInfo][],
    bind: (h: BackendHost) => void (backend.host = h),
    check: () => {},
    submit: (jobs: readonly JobHandle[]) => void backend.handed.push(...jobs),
    cancel: (job: JobHandle) => {
      backend.canceled.push(job);
      backend.host.abandoned(job);
    },
    kill: () => false,
    setUrgency: () => {},
    outputPaths: () => ({ stdout: '/dev/null', stderr: '/dev/null' }),
    recover: (job: JobHandle, info: RecoverInfo) => void backend.recovered.push([job, info]),
    close: async () => {},
  };
  return backend;
}

const T0 = 1_800_000_000;
const SUBMIT = { userid: 1000, urgency: 0, flags: 0, version: 1 };
const ALLOC = { annotations: { sched: { resource_summary: 'rank0/core1' } } };

/** What the backend's engine logged for a held job, released, then run. */
const LOG: JobEvent[] = [
  { name: 'submit', timestamp: T0 + 0.1, context: SUBMIT },
  { name: 'validate', timestamp: T0 + 0.2 },
  { name: 'depend', timestamp: T0 + 0.3 },
  { name: 'priority', timestamp: T0 + 0.4, context: { priority: 0 } },
  { name: 'urgency', timestamp: T0 + 0.5, context: { userid: 1000, urgency: 16 } },
  { name: 'priority', timestamp: T0 + 0.6, context: { priority: 16 } },
  { name: 'alloc', timestamp: T0 + 0.7, context: ALLOC },
  { name: 'start', timestamp: T0 + 0.8 },
  { name: 'finish', timestamp: T0 + 0.9, context: { status: 0 } },
  { name: 'release', timestamp: T0 + 1.0, context: { ranks: 'all', final: true } },
  { name: 'free', timestamp: T0 + 1.1 },
  { name: 'clean', timestamp: T0 + 1.2 },
];

/** Reports `LOG[from..to)` the way the Flux backend maps an eventlog onto the host. */
function report(host: BackendHost, job: JobHandle, from = 0, to = LOG.length): void {
  for (const e of LOG.slice(from, to)) {
    const ctx = e.context as Record<string, unknown> | undefined;
    switch (e.name) {
      case 'submit':
      case 'validate':
      case 'depend':
      case 'priority':
      case 'urgency':
        host.queued!(job, e.name, e.timestamp, ctx);
        break;
      case 'alloc':
        host.alloc(job, ctx, e.timestamp);
        break;
      case 'start':
        host.started(job, e.timestamp);
        break;
      case 'clean':
        host.finished(job, 0, T0 + 0.9, { release: T0 + 1.0, free: T0 + 1.1, clean: T0 + 1.2 });
        break;
      default:
        break; // finish, release, free: at clean
    }
  }
}

describe('a backend that reports its queueing events (reportsQueueEvents)', () => {
  it("gets no engine submit/validate/depend/priority: every event is the backend's, live and rebuilt", async () => {
    const backend = reportingBackend();
    const r = new Reactor({ backend });
    const job = r.submitRef(Jobspec.fromCommand(['true']), { urgency: 0 });
    expect(r.eventsOf(job)).toEqual([]);
    const live: JobEvent[] = [];
    r.eventWatchAsync(job, (e) => live.push(e));
    await Promise.resolve();
    expect(backend.handed).toEqual([job]);
    report(backend.host, job, 0, 4);
    report(backend.host, job, 0, 4); // a past eventlog read again (after a reconnection) adds nothing
    expect(r.stateOf(job)).toBe('SCHED');
    expect(r.setJobUrgency(job, 16)).toBe(true); // reported by the backend, not made up here
    report(backend.host, job, 4, 6);
    report(backend.host, job, 0, 6);
    report(backend.host, job, 6);
    const result = await r.resultAsync(job);
    expect(r.eventsOf(job)).toEqual(LOG);
    expect(live).toEqual(LOG);
    expect(result.tSubmit).toBe(T0 + 0.1);
    expect(result.result).toBe('COMPLETED');
    await r.close();
  });

  it("fills in the engine's submit and validate for a job that ends before the backend reported it", async () => {
    const backend = reportingBackend();
    const r = new Reactor({ backend });
    const job = r.submitRef(Jobspec.fromCommand(['true']));
    await Promise.resolve();
    r.cancel(job, 'not wanted');
    // the backend's events, if it got the job after all, do not start a second log
    report(backend.host, job, 0, 4);
    const events = r.eventsOf(job);
    expect(events.map((e) => e.name)).toEqual(['submit', 'validate', 'exception', 'clean']);
    expect(events[0]!.timestamp).toBe((await r.resultAsync(job)).tSubmit);
    expect(events[0]!.timestamp).toBeLessThan(T0);
    await r.close();
  });

  it('restores a stored job with its own events and hands it to the backend to recover, with no duplicates', async () => {
    const backend = reportingBackend();
    const r = new Reactor({ backend });
    const jobid = JobID.parse('ƒ2CmkFk4Zsz');
    const job = r.restore({ jobid, spec: Jobspec.fromCommand(['true']), urgency: 16, events: LOG.slice(0, 7), nativeId: 'ƒ8hZq9obM' });
    expect(backend.recovered).toEqual([[job, { nativeId: 'ƒ8hZq9obM', allocated: true, started: false }]]);
    report(backend.host, job); // the whole eventlog, read again from its start
    await r.resultAsync(job);
    expect(r.eventsOf(job)).toEqual(LOG);
    // a stored job the backend never named nor reported goes to its recover too (it may have it)
    const unnamed = r.restore({ jobid: JobID.parse('ƒ2CmkFk4Zt1'), spec: Jobspec.fromCommand(['true']), urgency: 16, events: [] });
    expect(backend.recovered.at(-1)).toEqual([unnamed, { nativeId: undefined, allocated: false, started: false }]);
    report(backend.host, unnamed);
    expect((await r.resultAsync(unnamed)).tSubmit).toBe(T0 + 0.1);
    expect(r.eventsOf(unnamed)).toEqual(LOG);
    await r.close();
  });
});
