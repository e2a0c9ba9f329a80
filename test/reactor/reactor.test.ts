import { describe, expect, it } from 'vitest';
import { Jobspec, LocalBackend, Reactor, UnsatisfiableRequestError, type JobEventName } from '../../src/index.js';

const sim = (seconds: number, extra: Parameters<typeof Jobspec.fromCommand>[1] = {}) =>
  Jobspec.fromCommand(['true'], extra).setAttribute('system.exec.test.run_duration', seconds);
const LIFECYCLE = ['submit', 'validate', 'depend', 'priority', 'alloc', 'start', 'finish', 'release', 'free', 'clean'];

function reactor(maxCores = 4) {
  return new Reactor({ backend: new LocalBackend({ maxCores }) });
}

describe('Reactor: simulated jobs (no process is spawned)', () => {
  it('submitAsync resolves to a JobID; resultAsync to COMPLETED; the callback form is synchronous', async () => {
    const r = reactor();
    const sub = r.submitAsync(sim(0));
    let viaCallback: string | undefined;
    sub.callback((err, id) => (viaCallback = err ? 'error' : id!.f58));
    expect(viaCallback).toMatch(/^ƒ/);
    const id = await sub;
    const result = await r.resultAsync(id);
    expect(result).toMatchObject({ result: 'COMPLETED', returncode: 0, waitstatus: 0 });
    expect(result.jobid.equals(id)).toBe(true);
    expect(r.eventsOf(id).map((e) => e.name)).toEqual(LIFECYCLE);
    expect(r.nativeId(r.ref(id))).toBeUndefined();
  });

  it('rejects an impossible request in the future, with no job made', async () => {
    const r = reactor(2);
    const sub = r.submitAsync(sim(0, { numTasks: 3 }));
    await expect(sub).rejects.toBeInstanceOf(UnsatisfiableRequestError);
    expect(r.totalJobs).toBe(0);
  });

  it('submitMany runs a homogeneous fan-out; onEvent gets every event, in batches, in order per job', async () => {
    const r = reactor(3);
    const seen = new Map<string, JobEventName[]>();
    let batches = 0;
    let inBatch = false;
    r.onEvent((id, name, timestamp, context) => {
      if (!inBatch) {
        inBatch = true;
        batches++;
        queueMicrotask(() => (inBatch = false));
      }
      expect(timestamp).toBeGreaterThan(1.7e9);
      if (name === 'finish') expect(context).toEqual({ status: 0 });
      const list = seen.get(id.f58) ?? [];
      list.push(name);
      seen.set(id.f58, list);
    });
    let first = -1;
    r.submitMany(sim(0), 1000, (err, f, n) => {
      expect(err).toBeUndefined();
      expect(n).toBe(1000);
      first = f;
    });
    await r.run();
    expect(first).toBe(0);
    expect(seen.size).toBe(1000);
    for (const names of seen.values()) expect(names).toEqual(LIFECYCLE);
    expect(batches).toBeLessThan(50);
    expect(r.activeJobs).toBe(0);
  });

  it('keeps cores: run_duration > 0 jobs never exceed maxCores', async () => {
    const r = reactor(2);
    let inUse = 0;
    let peak = 0;
    r.onEvent((_id, name) => {
      if (name === 'alloc') peak = Math.max(peak, ++inUse);
      if (name === 'free') inUse--;
    });
    r.submitMany(sim(0.01), 10);
    await r.run();
    expect(peak).toBe(2);
  });

  it('eventWatchAsync replays then follows; cancelAsync ends a pending simulated job', async () => {
    const r = reactor(1);
    const busy = await r.submitAsync(sim(0.05));
    const waiting = await r.submitAsync(sim(0));
    const names: string[] = [];
    r.eventWatchAsync(waiting, (ev) => names.push(ev.name));
    expect(await r.cancelAsync(waiting, 'no')).toBe(true);
    expect(await r.cancelAsync(waiting)).toBe(false);
    const res = await r.resultAsync(waiting);
    expect(res).toMatchObject({ result: 'CANCELED', returncode: -128, exception: { type: 'cancel', note: 'no' } });
    expect(names).toEqual(['submit', 'validate', 'depend', 'priority', 'exception', 'clean']);
    expect((await r.resultAsync(busy)).result).toBe('COMPLETED');
  });

  it('times a simulated job out when run_duration exceeds duration', async () => {
    const r = reactor();
    const id = await r.submitAsync(sim(5, { duration: 0.05 }));
    const res = await r.resultAsync(id);
    expect(res.result).toBe('TIMEOUT');
    expect(r.eventsOf(id).map((e) => e.name)).toEqual(['submit', 'validate', 'depend', 'priority', 'alloc', 'start', 'exception', 'finish', 'release', 'free', 'clean']);
  });

  it('killAsync signals a running simulated job', async () => {
    const r = reactor();
    const id = await r.submitAsync(sim(30));
    await new Promise<void>((resolve) => r.eventWatchAsync(id, (ev) => ev.name === 'start' && resolve()));
    expect(await r.killAsync(id, 'SIGKILL')).toBe(true);
    expect(await r.resultAsync(id)).toMatchObject({ result: 'FAILED', returncode: -9 });
  });

  it('finds jobs by JobID among many (binary search over FLUIDs), and rejects unknown ones', async () => {
    const r = reactor();
    r.submitMany(sim(0), 5000);
    await r.run();
    for (const job of [0, 1, 2499, 4999]) expect(r.lookup(r.jobid(job))).toBe(job);
    expect(() => r.ref(12345)).toThrow(/unknown job/);
  });
});
