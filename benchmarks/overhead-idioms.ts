/**
 * Benchmark 1b, SDK overhead per fan-out idiom: the same simulated jobs (run_duration 0) through
 * every way users fan out — the reactor's `submitMany`, and the executor's `wait(futures)`,
 * `Promise.all(futures)`, `asCompleted`, `map` (ordered, unordered) and `for await` over `watch()`.
 * Each idiom runs in a fresh process after a warm-up of that idiom; rounds go through all idioms in
 * turn, and each row is the median over the rounds. `vs reactor` is the median of per-round ratios
 * (same round, so load on a shared machine moves both). `jobs/cpu-s` divides by the process's CPU
 * time instead of wall time: steadier when other processes compete for the cores.
 *
 *   node dist/benchmarks/overhead-idioms.js [--jobs 200000] [--rounds 3] [--only wait,map-ordered]
 */
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machineInfo } from './lib/machine.js';
import { printTable } from './lib/table.js';
import { writeResult } from './lib/results.js';
import { IDIOMS, type Idiom, type IdiomRow } from './idiom-worker.js';

/** Options of {@link benchIdioms}. */
export interface IdiomBenchOptions {
  /** Simulated jobs per run. Default 200,000. */
  readonly jobs?: number;
  /** Rounds over every idiom. Default 3. */
  readonly rounds?: number;
  /** Only these idioms (the reactor, the baseline, always runs). Default: all. */
  readonly only?: readonly Idiom[];
}

/** One idiom's summary. */
export interface IdiomSummary {
  readonly idiom: Idiom;
  readonly jobs: number;
  /** Median jobs per wall-clock second. */
  readonly jobsPerSec: number;
  /** Median jobs per CPU second. */
  readonly jobsPerCpuSec: number;
  /** Median of the per-round ratios of jobs/s to the reactor's. */
  readonly vsReactor: number;
  /** Every round's jobs/s. */
  readonly rounds: readonly number[];
}

const worker = fileURLToPath(new URL('./idiom-worker.js', import.meta.url));

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Runs every idiom `rounds` times, prints the table and writes `benchmarks/results/overhead-idioms.json`. */
export async function benchIdioms(options: IdiomBenchOptions = {}): Promise<IdiomSummary[]> {
  const jobs = options.jobs ?? 200_000;
  const roundsWanted = Math.max(1, options.rounds ?? 3);
  const idioms = IDIOMS.filter((i) => i === 'reactor' || options.only === undefined || options.only.includes(i));
  const runs = new Map<Idiom, IdiomRow[]>(idioms.map((i) => [i, []]));
  for (let round = 0; round < roundsWanted; round++) {
    for (const idiom of idioms) {
      const out = execFileSync(process.execPath, ['--max-old-space-size=8192', worker, idiom, String(jobs)], { encoding: 'utf8' });
      runs.get(idiom)!.push(JSON.parse(out.trim().split('\n').pop()!) as IdiomRow);
    }
  }
  const reactor = runs.get('reactor')!;
  const rows: IdiomSummary[] = idioms.map((idiom) => {
    const mine = runs.get(idiom)!;
    return {
      idiom,
      jobs,
      jobsPerSec: Math.round(median(mine.map((r) => r.jobsPerSec))),
      jobsPerCpuSec: Math.round(median(mine.map((r) => r.jobsPerCpuSec))),
      vsReactor: Math.round(median(mine.map((r, i) => r.jobsPerSec / reactor[i]!.jobsPerSec)) * 100) / 100,
      rounds: mine.map((r) => r.jobsPerSec),
    };
  });
  printTable(
    `Overhead per idiom: ${jobs.toLocaleString('en')} simulated jobs, fresh process per run, medians of ${roundsWanted} rounds`,
    rows.map((r) => ({ idiom: r.idiom, 'jobs/s': r.jobsPerSec, 'jobs/cpu-s': r.jobsPerCpuSec, 'vs reactor': r.vsReactor, goal: r.idiom === 'reactor' ? '>= 2,000,000/s' : '>= 500,000/s' })),
  );
  writeResult('overhead-idioms', { machine: machineInfo(), jobs, rounds: roundsWanted, rows });
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { jobs: { type: 'string' }, rounds: { type: 'string' }, only: { type: 'string' } } });
  const only = values.only?.split(',').map((s) => s.trim()) as Idiom[] | undefined;
  for (const id of only ?? []) if (!(IDIOMS as readonly string[]).includes(id)) throw new Error(`unknown idiom ${id}; known: ${IDIOMS.join(', ')}`);
  await benchIdioms({
    ...(values.jobs !== undefined && { jobs: Number(values.jobs) }),
    ...(values.rounds !== undefined && { rounds: Number(values.rounds) }),
    ...(only !== undefined && { only }),
  });
}
