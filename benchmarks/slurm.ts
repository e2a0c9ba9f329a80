/**
 * Slurm fan-out on the dev cluster (scripts/slurm/start-dev-cluster.sh): N × `true`, time until
 * all are submitted and until all are done, and the scheduler commands each way costs. Peer in the
 * same run: a shell loop of `sbatch --wrap true`, and Slurm's own `sbatch --array --wrap true` (how
 * fast the cluster drains a queue of N pending jobs, whoever submitted them). Ours: `ex.map` of N
 * identical specs (one spec object), `ex.map` of N distinct specs (own argument and environment
 * each: coalesced into arrays with per-task files), and a loop of `ex.submit` of distinct specs.
 * Rounds alternate the ways; the table shows medians. Skipped loudly when no cluster answers.
 *
 *   node dist/benchmarks/slurm.js [jobs] [rounds]      # defaults 1000 and BENCH_ROUNDS or 3
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { JobExecutor, Jobspec, type JobFuture } from '../src/index.js';
import type { SlurmBackend } from '../src/backends/slurm/index.js';
import { machineInfo } from './lib/machine.js';
import { printTable } from './lib/table.js';
import { writeResult } from './lib/results.js';

/** One row of the Slurm benchmark (one way, one round). */
export interface SlurmRow {
  readonly way: string;
  readonly jobs: number;
  readonly submittedSeconds: number;
  readonly doneSeconds: number;
  readonly sbatch: number;
  readonly squeue: number;
  readonly otherCommands: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ENV = { PATH: '/usr/bin:/bin' };

function clusterUp(): boolean {
  return spawnSync('sinfo', ['-h'], { encoding: 'utf8' }).status === 0;
}

/** Waits until none of `ids` is in the queue any more (polling squeue twice a second). */
async function drained(ids: ReadonlySet<string>): Promise<number> {
  let polls = 0;
  for (;;) {
    polls++;
    const out = execFileSync('squeue', ['-h', '-o', '%i'], { encoding: 'utf8' });
    if (!out.split('\n').some((line) => ids.has(line.trim().split('_')[0]!))) return polls;
    await sleep(500);
  }
}

const LOOP = 'shell loop: sbatch --wrap true';

async function shellLoop(jobs: number): Promise<SlurmRow> {
  const t0 = performance.now();
  const out = execFileSync('bash', ['-c', `for i in $(seq ${jobs}); do sbatch --parsable -o /dev/null -e /dev/null --wrap true; done`], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const submitted = (performance.now() - t0) / 1000;
  const ids = new Set(out.split('\n').filter(Boolean).map((l) => l.split(';')[0]!));
  const polls = await drained(ids);
  return { way: LOOP, jobs, submittedSeconds: submitted, doneSeconds: (performance.now() - t0) / 1000, sbatch: jobs, squeue: polls, otherCommands: 0 };
}

const ARRAY = 'peer: sbatch --array --wrap true (Slurm alone)';

/** Slurm's own array of `--wrap true`: how fast the cluster drains a queue of N pending jobs. */
async function plainArray(jobs: number): Promise<SlurmRow> {
  const t0 = performance.now();
  const out = execFileSync('sbatch', ['--parsable', `--array=0-${jobs - 1}`, '-o', '/dev/null', '-e', '/dev/null', '--wrap', 'true'], { encoding: 'utf8' });
  const submitted = (performance.now() - t0) / 1000;
  const polls = await drained(new Set([out.trim().split(';')[0]!]));
  return { way: ARRAY, jobs, submittedSeconds: submitted, doneSeconds: (performance.now() - t0) / 1000, sbatch: 1, squeue: polls, otherCommands: 0 };
}

/** The ways of ours: how the specs are made and handed over. */
const OURS = {
  'ex.map, one spec (identical)': { distinct: false, map: true },
  'ex.map, distinct specs (argv + env)': { distinct: true, map: true },
  'ex.submit loop, distinct specs': { distinct: true, map: false },
} as const;
type Way = keyof typeof OURS;

async function ours(jobs: number, way: Way): Promise<SlurmRow> {
  const { distinct, map } = OURS[way];
  const logDir = mkdtempSync(path.join(tmpdir(), 'jobf-slurm-bench-'));
  try {
    const executor = new JobExecutor({ backend: 'slurm', logDir });
    const backend = executor.backend as SlurmBackend;
    const shared = Jobspec.fromCommand(['true'], { environment: ENV });
    const specs = Array.from({ length: jobs }, (_, i) => (distinct ? Jobspec.fromCommand(['true', String(i)], { environment: { ...ENV, I: String(i) }, name: `j${i}` }) : shared));
    const futures: JobFuture[] = [];
    const t0 = performance.now();
    let done: Promise<number>;
    if (map) {
      // What ex.map submits, watched for the time to all submitted.
      const submit = executor.submit.bind(executor);
      executor.submit = ((spec: Jobspec, options?: Parameters<typeof submit>[1]) => {
        const f = submit(spec, options);
        futures.push(f);
        return f;
      }) as typeof executor.submit;
      done = (async () => {
        let n = 0;
        for await (const r of executor.map(specs, { ordered: false })) if (r.result === 'COMPLETED') n++;
        return n;
      })();
    } else {
      for (const spec of specs) futures.push(executor.submit(spec));
      done = Promise.all(futures).then((rs) => rs.filter((r) => r.result === 'COMPLETED').length);
    }
    while (futures.length < jobs || futures.some((f) => f.nativeId === undefined && !f.done())) await sleep(5);
    const submitted = (performance.now() - t0) / 1000;
    const completed = await done;
    const doneSeconds = (performance.now() - t0) / 1000;
    if (completed !== jobs) throw new Error(`${jobs - completed} Slurm jobs did not complete`);
    await executor.shutdown();
    const counts = backend.commandCounts;
    const other = Object.entries(counts).reduce((n, [k, v]) => (k === 'sbatch' || k === 'squeue' ? n : n + v), 0);
    return { way, jobs, submittedSeconds: submitted, doneSeconds, sbatch: counts.sbatch ?? 0, squeue: counts.squeue ?? 0, otherCommands: other };
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Runs the Slurm benchmark, prints its table (medians over rounds) and writes `benchmarks/results/slurm.json`. */
export async function benchSlurm(options: { jobs?: number; rounds?: number } = {}): Promise<SlurmRow[]> {
  const jobs = options.jobs ?? 1000;
  const rounds = options.rounds ?? 3;
  if (!clusterUp()) {
    console.warn('slurm benchmark: SKIPPED: no Slurm cluster answers `sinfo` (start one with scripts/slurm/start-dev-cluster.sh)');
    return [];
  }
  const ways = [LOOP, ARRAY, ...(Object.keys(OURS) as Way[])];
  const rows: SlurmRow[] = [];
  for (let r = 0; r < rounds; r++) {
    // Alternate the order between rounds so no way always runs on a warmer (or busier) cluster.
    const order = r % 2 === 0 ? ways : [...ways].reverse();
    for (const way of order) {
      const row = way === LOOP ? await shellLoop(jobs) : way === ARRAY ? await plainArray(jobs) : await ours(jobs, way as Way);
      console.log(`round ${r + 1}/${rounds}: ${row.way}: submitted ${row.submittedSeconds.toFixed(2)} s, done ${row.doneSeconds.toFixed(2)} s, sbatch ${row.sbatch}, squeue ${row.squeue}`);
      rows.push(row);
    }
  }
  const r2 = (x: number) => Math.round(x * 100) / 100;
  const med = (way: string, key: 'submittedSeconds' | 'doneSeconds' | 'sbatch' | 'squeue' | 'otherCommands') => median(rows.filter((x) => x.way === way).map((x) => x[key]));
  const loopSubmitted = med(LOOP, 'submittedSeconds');
  const loopDone = med(LOOP, 'doneSeconds');
  printTable(
    `Slurm: ${jobs} × \`true\` on the dev cluster, medians of ${rounds} round(s)`,
    ways.map((way) => ({
      way,
      jobs,
      submittedSeconds: r2(med(way, 'submittedSeconds')),
      doneSeconds: r2(med(way, 'doneSeconds')),
      sbatch: med(way, 'sbatch'),
      squeue: med(way, 'squeue'),
      otherCommands: med(way, 'otherCommands'),
      'submit speed-up': r2(loopSubmitted / med(way, 'submittedSeconds')),
      'done speed-up': r2(loopDone / med(way, 'doneSeconds')),
    })),
  );
  writeResult('slurm', { machine: machineInfo(), jobs, rounds, rows });
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchSlurm({ jobs: Number(process.argv[2] ?? 1000), rounds: Number(process.argv[3] ?? process.env.BENCH_ROUNDS ?? 3) });
}
