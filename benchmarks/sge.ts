/**
 * Grid Engine fan-out: 1,000 jobs on the dev cluster (scripts/sge/start-dev-cluster.sh), time until
 * all are submitted and until all are done, and the Grid Engine commands each way costs. Peer in
 * the same run: a shell loop of `qsub -b y true`. Skipped loudly when no cell answers.
 *
 *   BENCH=sge npm run bench            # 1,000 jobs, every row
 *   BENCH_SGE_JOBS=200 BENCH_SGE_ROWS=shell,array npm run bench
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { JobExecutor, Jobspec, wait, type JobFuture } from '../src/index.js';
import type { SgeBackend } from '../src/backends/sge/index.js';
import { machineInfo } from './lib/machine.js';
import { printTable } from './lib/table.js';
import { writeResult } from './lib/results.js';

/** One row of the Grid Engine benchmark. */
export interface SgeRow {
  readonly way: string;
  readonly jobs: number;
  readonly submittedSeconds: number;
  readonly doneSeconds: number;
  readonly qsub: number;
  readonly qstat: number;
  readonly otherCommands: number;
}

/** The rows the benchmark can run. */
export type SgeBenchRow = 'shell' | 'array' | 'distinct';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function cellUp(): boolean {
  return spawnSync('qstat', ['-f'], { encoding: 'utf8' }).status === 0;
}

/** Waits until none of `ids` is in the queue any more (polling qstat twice a second); returns the polls. */
async function drained(ids: ReadonlySet<string>): Promise<number> {
  let polls = 0;
  for (;;) {
    polls++;
    const out = execFileSync('qstat', [], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (!out.split('\n').some((line) => ids.has(line.trim().split(/\s+/)[0]!))) return polls;
    await sleep(500);
  }
}

async function shellLoop(jobs: number): Promise<SgeRow> {
  const t0 = performance.now();
  const out = execFileSync('bash', ['-c', `for i in $(seq ${jobs}); do qsub -terse -b y -o /dev/null -e /dev/null true; done`], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const submitted = (performance.now() - t0) / 1000;
  const ids = new Set(out.split('\n').filter(Boolean).map((l) => l.trim()));
  const polls = await drained(ids);
  return { way: 'shell loop: qsub -b y true', jobs, submittedSeconds: submitted, doneSeconds: (performance.now() - t0) / 1000, qsub: jobs, qstat: polls, otherCommands: 0 };
}

async function ours(jobs: number, sameSpec: boolean): Promise<SgeRow> {
  const logDir = mkdtempSync(path.join(tmpdir(), 'jobf-sge-bench-'));
  try {
    const executor = new JobExecutor({ backend: 'sge', logDir });
    const backend = executor.backend as SgeBackend;
    const shared = Jobspec.fromCommand(['true'], { environment: { PATH: '/usr/bin:/bin' } });
    const t0 = performance.now();
    const futures: JobFuture[] = [];
    for (let i = 0; i < jobs; i++) futures.push(executor.submit(sameSpec ? shared : Jobspec.fromCommand(['true'], { environment: { PATH: '/usr/bin:/bin' }, name: `j${i}` })));
    while (futures.some((f) => f.nativeId === undefined && !f.done())) await sleep(5);
    const submitted = (performance.now() - t0) / 1000;
    await wait(futures);
    const done = (performance.now() - t0) / 1000;
    if (futures.some((f) => f.peek()?.result !== 'COMPLETED')) throw new Error('a Grid Engine job did not complete');
    await executor.shutdown();
    const counts = backend.commandCounts;
    const other = Object.entries(counts).reduce((n, [k, v]) => (k === 'qsub' || k === 'qstat' ? n : n + v), 0);
    return {
      way: sameSpec ? 'jobfutures executor (one spec: qsub -t)' : 'jobfutures executor (distinct specs)',
      jobs,
      submittedSeconds: submitted,
      doneSeconds: done,
      qsub: counts.qsub ?? 0,
      qstat: counts.qstat ?? 0,
      otherCommands: other,
    };
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
}

/** Runs the Grid Engine benchmark, prints its table and writes `benchmarks/results/sge.json`. */
export async function benchSge(options: { jobs?: number; rows?: readonly SgeBenchRow[] } = {}): Promise<SgeRow[]> {
  const jobs = options.jobs ?? Number(process.env.BENCH_SGE_JOBS ?? 1000);
  const wanted = options.rows ?? ((process.env.BENCH_SGE_ROWS?.split(',').map((s) => s.trim()) as SgeBenchRow[] | undefined) ?? ['shell', 'array', 'distinct']);
  if (!cellUp()) {
    console.warn('sge benchmark: SKIPPED: no Grid Engine answers `qstat -f` (start one with scripts/sge/start-dev-cluster.sh)');
    return [];
  }
  const rows: SgeRow[] = [];
  // The shell loop first: the other rows are compared with it.
  rows.push(await shellLoop(jobs));
  if (wanted.includes('array')) rows.push(await ours(jobs, true));
  if (wanted.includes('distinct')) rows.push(await ours(jobs, false));
  const r2 = (x: number) => Math.round(x * 100) / 100;
  printTable(
    `Grid Engine: ${jobs}-job fan-out of \`true\` on the dev cluster`,
    rows.map((r) => ({ ...r, submittedSeconds: r2(r.submittedSeconds), doneSeconds: r2(r.doneSeconds), 'submit speed-up': r2(rows[0]!.submittedSeconds / r.submittedSeconds), 'done speed-up': r2(rows[0]!.doneSeconds / r.doneSeconds) })),
  );
  writeResult('sge', { machine: machineInfo(), rows });
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await benchSge();
