/**
 * Every fan-out idiom of the executor over large simulated fan-outs (`run_duration` 0: the whole
 * lifecycle, no process), where their fast paths (results read without a promise, map's chunked
 * refill, watch's deferred records) take over: each job is seen exactly once, in the right order,
 * with its own result, and failures still reject where they did.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { JobExecutor, JobFailedError, Jobspec, asCompleted, wait, type JobFuture, type JobID } from '../../src/index.js';

const N = 5_000;
const executors: JobExecutor[] = [];

function make(rejectOnFailure = false): JobExecutor {
  const ex = new JobExecutor({ backend: 'local', maxCores: 8, rejectOnFailure });
  executors.push(ex);
  return ex;
}

const sim = (duration = 0) => Jobspec.fromCommand(['true']).setAttribute('system.exec.test.run_duration', duration);

afterEach(async () => {
  await Promise.all(executors.splice(0).map((ex) => ex.shutdown({ cancelFutures: true })));
});

describe('local backend: fan-out idioms at scale (simulated jobs)', () => {
  it('Promise.all and wait give every job its own COMPLETED result', async () => {
    const ex = make();
    const spec = sim();
    const futures = Array.from({ length: N }, () => ex.submit(spec));
    const results = await Promise.all(futures);
    expect(results.every((r, i) => r.result === 'COMPLETED' && r.jobid.value === futures[i]!.id!.value)).toBe(true);
    const more = Array.from({ length: N }, () => ex.submit(spec));
    const { done, notDone } = await wait(more);
    expect(done.size).toBe(N);
    expect(notDone.size).toBe(0);
  });

  it('wait(FIRST_COMPLETED) splits the futures as they were when it returned', async () => {
    const ex = make();
    const quick = ex.submit(sim());
    const slow = ex.submit(sim(30));
    const { done, notDone } = await wait([quick, slow], { returnWhen: 'FIRST_COMPLETED' });
    expect([...done]).toEqual([quick]);
    expect([...notDone]).toEqual([slow]);
    slow.cancel();
  });

  it('asCompleted yields each future once, done ones first in the order given', async () => {
    const ex = make();
    const spec = sim();
    const futures = Array.from({ length: N }, () => ex.submit(spec));
    await wait(futures.slice(0, 10));
    const seen = new Set<JobFuture>();
    const order: JobFuture[] = [];
    for await (const { future, result, error } of asCompleted([...futures, futures[0]!])) {
      expect(error).toBeUndefined();
      expect(result?.result).toBe('COMPLETED');
      expect(seen.has(future)).toBe(false);
      seen.add(future);
      order.push(future);
    }
    expect(seen.size).toBe(N);
    expect(order.slice(0, 10)).toEqual(futures.slice(0, 10));
  });

  it('asCompleted calls over overlapping futures each yield their own futures once, even when one stops early', async () => {
    const ex = make();
    const [a, b, c] = [ex.submit(sim(0)), ex.submit(sim(0.05)), ex.submit(sim(0.1))];
    const first = asCompleted([a, b, a, c]);
    const second = asCompleted([c, b, c]);
    const third = asCompleted([b, a]);
    const drain = async (it: AsyncIterable<{ future: JobFuture }>, stopAfter = Infinity) => {
      const got: JobFuture[] = [];
      for await (const { future } of it) {
        got.push(future);
        if (got.length === stopAfter) break;
      }
      return got;
    };
    const [one, two, three] = await Promise.all([drain(first), drain(second), drain(third, 1)]);
    expect(new Set(one)).toEqual(new Set([a, b, c]));
    expect(one).toHaveLength(3);
    expect(two).toEqual([b, c]);
    expect(three).toEqual([a]);
    expect(one).toEqual([a, b, c]);
  });

  it('map, ordered, yields in spec order and never holds more than maxInFlight jobs', async () => {
    const ex = make();
    for (const maxInFlight of [1, 7, 1024]) {
      let pulled = 0;
      let yielded = 0;
      let worst = 0;
      const ids: JobID[] = [];
      function* specs() {
        for (let i = 0; i < 5000; i++) {
          pulled++;
          worst = Math.max(worst, pulled - yielded);
          yield i % 2 ? sim() : sim(0);
        }
      }
      for await (const r of ex.map(specs(), { maxInFlight })) {
        yielded++;
        expect(r.result).toBe('COMPLETED');
        ids.push(r.jobid);
      }
      expect(yielded).toBe(5000);
      expect(worst).toBeLessThanOrEqual(maxInFlight);
      // jobs get increasing ids in submit order, and ordered map yields in submit order
      for (let i = 1; i < ids.length; i++) expect(ids[i]!.value > ids[i - 1]!.value).toBe(true);
    }
  });

  it('map, unordered, yields every job once; an async source is read too', async () => {
    const ex = make();
    async function* specs() {
      for (let i = 0; i < 3000; i++) yield sim();
    }
    const seen = new Set<bigint>();
    for await (const r of ex.map(specs(), { ordered: false, maxInFlight: 100 })) seen.add(r.jobid.value);
    expect(seen.size).toBe(3000);
  });

  it('map with rejectOnFailure still throws JobFailedError for a done, failed job, and cancels the rest', async () => {
    const ex = make(true);
    const specs = [sim(), Jobspec.fromCommand(['/nonexistent/program']), ...Array.from({ length: 50 }, () => sim(30))];
    const got: string[] = [];
    await expect(
      (async () => {
        for await (const r of ex.map(specs, { maxInFlight: 20 })) got.push(r.result);
      })(),
    ).rejects.toBeInstanceOf(JobFailedError);
    expect(got).toEqual(['COMPLETED']);
  });

  it('map stops reading a generator when the consumer stops, and cancels the jobs in flight', async () => {
    const ex = make();
    let closed = false;
    let pulled = 0;
    function* specs() {
      try {
        for (;;) {
          pulled++;
          yield pulled <= 3 ? sim() : sim(30);
        }
      } finally {
        closed = true;
      }
    }
    const first = ex.reactor.totalJobs;
    let yielded = 0;
    for await (const r of ex.map(specs(), { maxInFlight: 16 })) {
      expect(r.result).toBe('COMPLETED');
      if (++yielded === 3) break;
    }
    expect(closed).toBe(true);
    expect(pulled).toBeLessThanOrEqual(16 + 3);
    await ex.reactor.run();
    const results = Array.from({ length: ex.reactor.totalJobs - first }, (_, i) => ex.reactor.resultOf(first + i)?.result);
    expect(results.slice(0, 3)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
    expect(results.slice(3).every((r) => r === 'CANCELED')).toBe(true);
  });

  it('for await over watch() gets every event of every job, in order per job', async () => {
    const ex = make();
    const ac = new AbortController();
    const jobs = 5000;
    const names = new Map<bigint, string[]>();
    let cleaned = 0;
    const consumer = (async () => {
      for await (const { jobid, event } of ex.watch({ signal: ac.signal })) {
        let list = names.get(jobid.value);
        if (!list) names.set(jobid.value, (list = []));
        list.push(event.name);
        if (event.name === 'submit') expect(event.context).toMatchObject({ urgency: 16, version: 1 });
        if (event.name === 'priority') expect(event.context).toEqual({ priority: 16 });
        if (event.name === 'finish') expect(event.context).toEqual({ status: 0 });
        if (event.name === 'clean' && ++cleaned === jobs) ac.abort();
      }
    })();
    const spec = sim();
    const futures = Array.from({ length: jobs }, () => ex.submit(spec));
    await consumer;
    expect(names.size).toBe(jobs);
    for (const f of futures) expect(names.get(f.id!.value)).toEqual(['submit', 'validate', 'depend', 'priority', 'alloc', 'start', 'finish', 'release', 'free', 'clean']);
  });
});
