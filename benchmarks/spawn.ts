/**
 * Spawn throughput: 5,000 `/bin/true` jobs at concurrency 8 through every peer (see peers.ts),
 * reported as jobs/s and as ratios to `xargs -P 8`, to the naive p-queue+execa loop, to Python's
 * ThreadPoolExecutor and to a C loop of vfork + exec (the ceiling), measured in the same run. With several rounds, each ratio is the median of the per-round ratios.
 *
 * Run: `node dist/benchmarks/spawn.js [--jobs 5000] [--concurrency 8] [--rounds 1] [--only xargs,spawner-launcher]`
 * Writes `benchmarks/results/spawn.json`.
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { machineInfo, type MachineInfo } from './lib/machine.js';
import { writeResult } from './lib/results.js';
import { printTable, type Row } from './lib/table.js';
import { PEER_IDS, runPeers, type PeerId, type PeerResult } from './peers.js';

/** Options of {@link benchSpawn}. */
export interface SpawnBenchOptions {
  /** Jobs per peer and round. Default 5000. */
  readonly jobs?: number;
  /** Processes at a time. Default 8. */
  readonly concurrency?: number;
  /** Rounds of all peers; more rounds give steadier medians on a noisy machine. Default 1. */
  readonly rounds?: number;
  /** The program each job runs. Default `/bin/true`. */
  readonly command?: string;
  /** Only these peers (the xargs baseline is always included). Default: all. */
  readonly only?: readonly PeerId[];
  /** Write `benchmarks/results/spawn.json`. Default true. */
  readonly write?: boolean;
  /** Print the tables. Default true. */
  readonly print?: boolean;
}

/** One row of the summary: a peer's median over the rounds. */
export interface SpawnBenchRow {
  [column: string]: string | number | undefined;
  peer: string;
  /** Median jobs per second. */
  jobsPerSec: number;
  /** Median of the per-round ratios to `xargs -P C` (higher is faster). */
  vsXargs?: number;
  /** Median of the per-round ratios to the naive p-queue+execa loop. */
  vsNaive?: number;
  /** Median of the per-round ratios to Python's ThreadPoolExecutor + subprocess.run (for a log-files row: to Python writing log files too). */
  vsPython?: number;
  /** Median of the per-round ratios to the C loop of vfork + exec (the ceiling). */
  vsCLoop?: number;
  /** Why the peer was skipped. */
  skipped?: string;
}

/** What {@link benchSpawn} returns (and writes). */
export interface SpawnBenchResult {
  /** `spawn`. */
  name: string;
  machine: MachineInfo;
  jobs: number;
  concurrency: number;
  command: string;
  /** Every round's raw results. */
  rounds: PeerResult[][];
  /** The summary table. */
  rows: SpawnBenchRow[];
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;
const maybeRound = (x: number | undefined): number | undefined => (x === undefined ? undefined : round2(x));

const writesLogs = (r: PeerResult): boolean => r.name.includes('(log files');

/**
 * r's speed relative to the peer whose name starts with `prefix`: the one that also writes log
 * files when r does and there is one (Python), else the first.
 */
function ratioTo(results: readonly PeerResult[], prefix: string, r: PeerResult): number | undefined {
  const candidates = results.filter((p) => p.name.startsWith(prefix));
  const base = candidates.find((p) => writesLogs(p) === writesLogs(r)) ?? candidates[0];
  if (base === undefined || base.skipped !== undefined || r.skipped !== undefined) return undefined;
  return r.jobsPerSec / base.jobsPerSec;
}

function roundRows(results: readonly PeerResult[]): Row[] {
  return results.map((r) => ({
    peer: r.name,
    seconds: r.skipped ? undefined : round2(r.seconds),
    'jobs/s': r.skipped ? undefined : Math.round(r.jobsPerSec),
    'vs xargs': maybeRound(ratioTo(results, 'xargs', r)),
    'vs naive': maybeRound(ratioTo(results, 'p-queue', r)),
    'vs python': maybeRound(ratioTo(results, 'python', r)),
    'vs C loop': maybeRound(ratioTo(results, 'C loop', r)),
    skipped: r.skipped,
  }));
}

/** Runs the spawn benchmark; see {@link SpawnBenchOptions}. */
export async function benchSpawn(opts: SpawnBenchOptions = {}): Promise<SpawnBenchResult> {
  const jobs = opts.jobs ?? 5000;
  const concurrency = opts.concurrency ?? 8;
  const roundsWanted = Math.max(1, opts.rounds ?? 1);
  const command = opts.command ?? '/bin/true';
  const print = opts.print ?? true;
  const only = opts.only === undefined ? undefined : [...new Set<PeerId>(['xargs', ...opts.only])];

  const rounds: PeerResult[][] = [];
  for (let i = 0; i < roundsWanted; i++) {
    const results = await runPeers({ jobs, concurrency, command, only });
    rounds.push(results);
    if (print) {
      printTable(`spawn: ${jobs} x ${command} at concurrency ${concurrency}, round ${i + 1}/${roundsWanted}`, roundRows(results));
    }
  }

  const rows: SpawnBenchRow[] = rounds[0]!.map((first) => {
    const mine = rounds.map((rs) => rs.find((r) => r.name === first.name)!);
    if (first.skipped !== undefined) return { peer: first.name, jobsPerSec: 0, skipped: first.skipped };
    const vsX = rounds.map((rs, i) => ratioTo(rs, 'xargs', mine[i]!)).filter((x): x is number => x !== undefined);
    const vsN = rounds.map((rs, i) => ratioTo(rs, 'p-queue', mine[i]!)).filter((x): x is number => x !== undefined);
    const vsP = rounds.map((rs, i) => ratioTo(rs, 'python', mine[i]!)).filter((x): x is number => x !== undefined);
    const vsC = rounds.map((rs, i) => ratioTo(rs, 'C loop', mine[i]!)).filter((x): x is number => x !== undefined);
    return {
      peer: first.name,
      jobsPerSec: Math.round(median(mine.map((r) => r.jobsPerSec))),
      vsXargs: vsX.length ? round2(median(vsX)) : undefined,
      vsNaive: vsN.length ? round2(median(vsN)) : undefined,
      vsPython: vsP.length ? round2(median(vsP)) : undefined,
      vsCLoop: vsC.length ? round2(median(vsC)) : undefined,
    };
  });

  if (print && roundsWanted > 1) {
    printTable(
      `spawn: medians over ${roundsWanted} rounds`,
      rows.map((r) => ({ peer: r.peer, 'jobs/s': r.jobsPerSec || undefined, 'vs xargs': r.vsXargs, 'vs naive': r.vsNaive, 'vs python': r.vsPython, 'vs C loop': r.vsCLoop, skipped: r.skipped })),
    );
  }
  const result: SpawnBenchResult = { name: 'spawn', machine: machineInfo(), jobs, concurrency, command, rounds, rows };
  if (opts.write ?? true) {
    const file = writeResult('spawn', result);
    if (print) console.log(`\nwrote ${file}`);
  }
  return result;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      jobs: { type: 'string' },
      concurrency: { type: 'string' },
      rounds: { type: 'string' },
      command: { type: 'string' },
      only: { type: 'string' },
    },
  });
  const only = values.only?.split(',').map((s) => s.trim()) as PeerId[] | undefined;
  for (const id of only ?? []) {
    if (!(PEER_IDS as readonly string[]).includes(id)) throw new Error(`unknown peer ${id}; known: ${PEER_IDS.join(', ')}`);
  }
  await benchSpawn({
    jobs: values.jobs === undefined ? undefined : Number(values.jobs),
    concurrency: values.concurrency === undefined ? undefined : Number(values.concurrency),
    rounds: values.rounds === undefined ? undefined : Number(values.rounds),
    command: values.command,
    only,
  });
}
