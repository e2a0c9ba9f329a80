/**
 * One overhead measurement in a fresh process (so peak RSS and retained memory are its own):
 *   node --expose-gc dist/benchmarks/overhead-worker.js <reactor|executor> <jobs>
 * Prints one JSON line.
 */
import { JobExecutor, Jobspec, LocalBackend, Reactor, wait } from '../src/index.js';

const [face = 'reactor', countText = '10000'] = process.argv.slice(2);
const jobs = Number(countText);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const retainedBytes = () => {
  for (let i = 0; i < 4; i++) gc(); // let weak refs and finalizers settle, or small runs read noise
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

// run_duration 0: the whole Flux lifecycle, no process (how Flux measures its own overhead)
const spec = Jobspec.fromCommand(['true']).setAttribute('system.exec.test.run_duration', 0);

// Warm-up (discarded): every size is then measured at steady state, so the rows compare per-job
// cost rather than how much of a short run the JIT compiler ate.
{
  const warm = new JobExecutor({ backend: new LocalBackend({ maxCores: 8 }) });
  await wait(Array.from({ length: 50_000 }, () => warm.submit(spec)));
  await warm.shutdown();
  const reactor = new Reactor({ backend: new LocalBackend({ maxCores: 8 }) });
  reactor.submitMany(spec, 50_000);
  await reactor.run();
}

const backend = new LocalBackend({ maxCores: 8 });
const before = retainedBytes();
let seconds: number;
let keep: unknown;

if (face === 'reactor') {
  const reactor = new Reactor({ backend });
  const t0 = performance.now();
  reactor.submitMany(spec, jobs);
  await reactor.run();
  seconds = (performance.now() - t0) / 1000;
  if (reactor.resultOf(jobs - 1)?.result !== 'COMPLETED') throw new Error('last job did not complete');
  keep = reactor;
} else {
  const executor = new JobExecutor({ backend });
  const t0 = performance.now();
  let futures = new Array(jobs);
  for (let i = 0; i < jobs; i++) futures[i] = executor.submit(spec);
  const { notDone } = await wait(futures);
  seconds = (performance.now() - t0) / 1000;
  if (notDone.size !== 0) throw new Error('jobs left');
  futures = [];
  keep = executor;
}

const retained = retainedBytes() - before;
console.log(
  JSON.stringify({
    face,
    jobs,
    jobsPerSec: Math.round(jobs / seconds),
    usPerJob: Number(((seconds * 1e6) / jobs).toFixed(3)),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    // below ~100k jobs the delta is smaller than the heap's own noise (a few MB)
    retainedBytesPerJob: jobs >= 100_000 ? Math.round(retained / jobs) : null,
  }),
);
void keep;
