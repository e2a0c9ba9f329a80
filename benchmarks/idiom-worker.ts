/**
 * One executor idiom measured in a fresh process, after a warm-up of that same idiom:
 *   node dist/benchmarks/idiom-worker.js <idiom> <jobs>
 * Prints one JSON line ({@link IdiomRow}). Idioms: see {@link IDIOMS}.
 */
import { JobExecutor, Jobspec, LocalBackend, Reactor, asCompleted, wait } from '../src/index.js';

/** The ways users fan out, each timed from the first submit to the last result seen. */
export const IDIOMS = ['reactor', 'wait', 'promise-all', 'as-completed', 'map-ordered', 'map-unordered', 'watch'] as const;
/** One idiom. */
export type Idiom = (typeof IDIOMS)[number];

// run_duration 0: the whole Flux lifecycle, no process (how Flux measures its own overhead)
const spec = Jobspec.fromCommand(['true']).setAttribute('system.exec.test.run_duration', 0);

/** Wall-clock and CPU seconds of one run. */
interface Timing {
  readonly wall: number;
  readonly cpu: number;
}

/** Starts a timer; the returned function reads wall-clock and CPU (user + system) seconds since. */
function timer(): () => Timing {
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  return () => {
    const cpu = process.cpuUsage(cpu0);
    return { wall: (performance.now() - wall0) / 1000, cpu: (cpu.user + cpu.system) / 1e6 };
  };
}

/** Runs `jobs` simulated jobs through `idiom`; returns the time it took. */
async function run(idiom: Idiom, jobs: number): Promise<Timing> {
  const backend = new LocalBackend({ maxCores: 8 });
  if (idiom === 'reactor') {
    const reactor = new Reactor({ backend });
    const elapsed = timer();
    reactor.submitMany(spec, jobs);
    await reactor.run();
    const s = elapsed();
    if (reactor.resultOf(jobs - 1)?.result !== 'COMPLETED') throw new Error('last job did not complete');
    await reactor.close();
    return s;
  }
  const ex = new JobExecutor({ backend });
  let seen = 0;
  const elapsed = timer();
  switch (idiom) {
    case 'wait': {
      const futures = Array.from({ length: jobs }, () => ex.submit(spec));
      const { notDone } = await wait(futures);
      seen = jobs - notDone.size;
      break;
    }
    case 'promise-all': {
      const futures = Array.from({ length: jobs }, () => ex.submit(spec));
      const results = await Promise.all(futures);
      for (const r of results) if (r.result === 'COMPLETED') seen++;
      break;
    }
    case 'as-completed': {
      const futures = Array.from({ length: jobs }, () => ex.submit(spec));
      for await (const { result } of asCompleted(futures)) if (result?.result === 'COMPLETED') seen++;
      break;
    }
    case 'map-ordered':
    case 'map-unordered': {
      const specs = Array.from({ length: jobs }, () => spec);
      for await (const r of ex.map(specs, { ordered: idiom === 'map-ordered' })) if (r.result === 'COMPLETED') seen++;
      break;
    }
    case 'watch': {
      const controller = new AbortController();
      const events = ex.watch({ signal: controller.signal });
      const consume = (async () => {
        let cleaned = 0;
        for await (const { event } of events) {
          if (event.name === 'clean' && ++cleaned === jobs) controller.abort();
        }
        return cleaned;
      })();
      for (let i = 0; i < jobs; i++) ex.submit(spec);
      seen = await consume;
      break;
    }
  }
  const s = elapsed();
  await ex.shutdown();
  if (seen !== jobs) throw new Error(`${idiom}: ${seen} of ${jobs} jobs seen completed`);
  return s;
}

/** What the worker prints. */
export interface IdiomRow {
  readonly idiom: Idiom;
  readonly jobs: number;
  readonly jobsPerSec: number;
  readonly usPerJob: number;
  /** Jobs per second of CPU time (user + system, all threads): steadier than wall time on a shared machine. */
  readonly jobsPerCpuSec: number;
}

const isMain = process.argv[1] !== undefined && import.meta.url === (await import('node:url')).pathToFileURL(process.argv[1]).href;
if (isMain) {
  const [idiomText = 'wait', countText = '200000'] = process.argv.slice(2);
  if (!(IDIOMS as readonly string[]).includes(idiomText)) throw new Error(`unknown idiom ${idiomText}; known: ${IDIOMS.join(', ')}`);
  const idiom = idiomText as Idiom;
  const jobs = Number(countText);
  await run(idiom, Math.min(50_000, jobs)); // warm-up, discarded
  const { wall, cpu } = await run(idiom, jobs);
  const row: IdiomRow = { idiom, jobs, jobsPerSec: Math.round(jobs / wall), usPerJob: Number(((wall * 1e6) / jobs).toFixed(3)), jobsPerCpuSec: Math.round(jobs / cpu) };
  console.log(JSON.stringify(row));
}
