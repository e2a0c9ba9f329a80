/**
 * Benchmark 1, SDK overhead: simulated jobs (run_duration 0) through the reactor and through the
 * executor at 10k, 100k and 1M jobs; each run in a fresh process.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machineInfo } from './lib/machine.js';
import { printTable } from './lib/table.js';
import { writeResult } from './lib/results.js';

/** One row of the overhead benchmark. */
export interface OverheadRow {
  readonly face: 'reactor' | 'executor';
  readonly jobs: number;
  readonly jobsPerSec: number;
  readonly usPerJob: number;
  readonly peakRssMB: number;
  /** null below 100k jobs, where the heap delta is within noise. */
  readonly retainedBytesPerJob: number | null;
}

/** Options of {@link benchOverhead}. */
export interface OverheadOptions {
  /** Job counts to run. Default [10k, 100k, 1M]. */
  readonly sizes?: readonly number[];
}

const worker = fileURLToPath(new URL('./overhead-worker.js', import.meta.url));

/** Runs the overhead benchmark, prints its table and writes `benchmarks/results/overhead.json`. */
export async function benchOverhead(options: OverheadOptions = {}): Promise<OverheadRow[]> {
  const sizes = options.sizes ?? [10_000, 100_000, 1_000_000];
  const rows: OverheadRow[] = [];
  for (const face of ['reactor', 'executor'] as const) {
    for (const jobs of sizes) {
      const out = execFileSync(process.execPath, ['--expose-gc', '--max-old-space-size=8192', worker, face, String(jobs)], { encoding: 'utf8' });
      rows.push(JSON.parse(out.trim().split('\n').pop()!) as OverheadRow);
    }
  }
  printTable('Overhead: simulated jobs (run_duration 0), full Flux lifecycle, no process', rows.map((r) => ({ ...r, retainedBytesPerJob: r.retainedBytesPerJob ?? 'n/a (noise)', goal: r.face === 'reactor' ? '>= 1,000,000/s' : '>= 300,000/s' })));
  writeResult('overhead', { machine: machineInfo(), rows });
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await benchOverhead();
