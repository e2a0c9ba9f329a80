/**
 * Benchmark: how many validated jobspecs per second can be built, loaded and round-tripped.
 *
 * Run directly (after `npm run build`): `node dist/benchmarks/jobspec-build.js [iterations]`.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Jobspec } from '../src/jobspec/index.js';

/** Options of {@link benchJobspecBuild}. */
export interface BenchJobspecBuildOptions {
  /** Timed iterations per case (after a warm-up of a tenth as many, at least 1,000). Default `200_000`. */
  iterations?: number;
}

/** One benchmark case: a name and the work of iteration `i`, returning something to keep alive. */
interface BenchCase {
  readonly name: string;
  readonly run: (i: number) => unknown;
}

/**
 * Measure specs/s for `Jobspec.fromCommand(...)` (built and validated), `Jobspec.fromObject(obj)`
 * and the `toJSON()` → `fromObject` and `dumps()` → `parse` round trips.
 *
 * `specs/s` is wall-clock throughput; `specs/s per CPU-second` divides by the process's CPU time
 * instead, which is steadier on a busy machine (it also counts GC helper threads).
 *
 * @returns `name` and one row per case: `case`, `iterations`, `ms`, `specs/s` and
 *   `specs/s per CPU-second`.
 */
export async function benchJobspecBuild(
  opts: BenchJobspecBuildOptions = {},
): Promise<{ name: string; rows: Array<Record<string, string | number>> }> {
  const iterations = opts.iterations ?? 200_000;
  if (!Number.isSafeInteger(iterations) || iterations < 1) {
    throw new RangeError(`iterations must be a positive integer (got ${String(iterations)})`);
  }

  const environment = { PATH: '/usr/bin:/bin', HOME: '/home/user', LANG: 'C.UTF-8' };
  const heavyCommand = ['python3', 'work.py', '--seed', '42'];
  const heavyOptions = { numTasks: 8, coresPerTask: 2, numNodes: 2, duration: '1h', environment, cwd: '/scratch/run', output: 'out-{{id}}.log' };
  const sample = Jobspec.fromCommand(heavyCommand, heavyOptions);
  const plain = JSON.parse(sample.dumps()) as unknown;
  const text = sample.dumps();

  const cases: BenchCase[] = [
    {
      name: 'fromCommand (1 task, duration)',
      run: (i) => Jobspec.fromCommand(['echo', 'job'], { duration: 60 + (i & 7) }),
    },
    {
      name: 'fromCommand (8 tasks/2 nodes, env, cwd, output, FSD)',
      // a fresh options object per call, as callers build them
      run: () => Jobspec.fromCommand(heavyCommand, { ...heavyOptions }),
    },
    { name: 'fromObject(obj)', run: () => Jobspec.fromObject(plain) },
    { name: 'toJSON() -> fromObject', run: () => Jobspec.fromObject(sample.toJSON()) },
    { name: 'dumps() -> parse (JSON text)', run: () => Jobspec.parse(sample.dumps()) },
    { name: 'parse(JSON text)', run: () => Jobspec.parse(text) },
  ];

  const rows: Array<Record<string, string | number>> = [];
  for (const bench of cases) {
    runLoop(bench, Math.max(1_000, Math.floor(iterations / 10)));
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    runLoop(bench, iterations);
    const ms = performance.now() - start;
    const cpu = process.cpuUsage(cpuStart);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    rows.push({
      case: bench.name,
      iterations,
      ms: Math.round(ms * 10) / 10,
      'specs/s': Math.round((iterations / ms) * 1000),
      'specs/s per CPU-second': Math.round((iterations / cpuMs) * 1000),
    });
    await new Promise((resolve) => setImmediate(resolve)); // let the event loop breathe between cases
  }
  return { name: 'jobspec-build', rows };
}

let sink: unknown;

function runLoop(bench: BenchCase, iterations: number): void {
  for (let i = 0; i < iterations; i++) sink = bench.run(i);
  if (sink === undefined) throw new Error(`${bench.name} returned nothing`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = process.argv[2];
  const result = await benchJobspecBuild(arg === undefined ? {} : { iterations: Number(arg) });
  console.log(`${result.name} (node ${process.version})`);
  console.table(result.rows);
}
