/**
 * Slurm fan-out: 1,000 jobs on the dev cluster (scripts/slurm/start-dev-cluster.sh), time until all
 * are submitted and until all are done, and the scheduler commands each way cost. Peers in the
 * same run: a shell loop of `sbatch --wrap`. Skipped loudly when no cluster answers.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { JobExecutor, Jobspec, wait, type JobFuture } from '../src/index.js';
import type { SlurmBackend } from '../src/backends/slurm/index.js';
import { machineInfo } from './lib/machine.js';
import { printTable } from './lib/table.js';
import { writeResult } from './lib/results.js';

/** One row of the Slurm benchmark. */
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

async function shellLoop(jobs: number): Promise<SlurmRow> {
  const t0 = performance.now();
  const out = execFileSync('bash', ['-c', `for i in $(seq ${jobs}); do sbatch --parsable -o /dev/null -e /dev/null --wrap true; done`], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const submitted = (performance.now() - t0) / 1000;
  const ids = new Set(out.split('\n').filter(Boolean).map((l) => l.split(';')[0]!));
  const polls = await drained(ids);
  return { way: 'shell loop: sbatch --wrap', jobs, submittedSeconds: submitted, doneSeconds: (performance.now() - t0) / 1000, sbatch: jobs, squeue: polls, otherCommands: 0 };
}

async function ours(jobs: number, sameSpec: boolean): Promise<SlurmRow> {
  const logDir = mkdtempSync(path.join(tmpdir(), 'jobf-slurm-bench-'));
  try {
    const executor = new JobExecutor({ backend: 'slurm', logDir });
    const backend = executor.backend as SlurmBackend;
    const shared = Jobspec.fromCommand(['true'], { environment: { PATH: '/usr/bin:/bin' } });
    const t0 = performance.now();
    const futures: JobFuture[] = [];
    for (let i = 0; i < jobs; i++) futures.push(executor.submit(sameSpec ? shared : Jobspec.fromCommand(['true'], { environment: { PATH: '/usr/bin:/bin' }, name: `j${i}` })));
    while (futures.some((f) => f.nativeId === undefined && !f.done())) await sleep(5);
    const submitted = (performance.now() - t0) / 1000;
    await wait(futures);
    const done = (performance.now() - t0) / 1000;
    if (futures.some((f) => f.peek()?.result !== 'COMPLETED')) throw new Error('a Slurm job did not complete');
    await executor.shutdown();
    const counts = backend.commandCounts;
    const other = Object.entries(counts).reduce((n, [k, v]) => (k === 'sbatch' || k === 'squeue' ? n : n + v), 0);
    return {
      way: sameSpec ? 'jobfutures executor (one spec: sbatch --array)' : 'jobfutures executor (distinct specs)',
      jobs,
      submittedSeconds: submitted,
      doneSeconds: done,
      sbatch: counts.sbatch ?? 0,
      squeue: counts.squeue ?? 0,
      otherCommands: other,
    };
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
}

/** Runs the Slurm benchmark, prints its table and writes `benchmarks/results/slurm.json`. */
export async function benchSlurm(options: { jobs?: number } = {}): Promise<SlurmRow[]> {
  const jobs = options.jobs ?? 1000;
  if (!clusterUp()) {
    console.warn('slurm benchmark: SKIPPED: no Slurm cluster answers `sinfo` (start one with scripts/slurm/start-dev-cluster.sh)');
    return [];
  }
  const rows = [await shellLoop(jobs), await ours(jobs, true), await ours(jobs, false)];
  const r2 = (x: number) => Math.round(x * 100) / 100;
  printTable(
    `Slurm: ${jobs}-job fan-out of \`true\` on the dev cluster`,
    rows.map((r) => ({ ...r, submittedSeconds: r2(r.submittedSeconds), doneSeconds: r2(r.doneSeconds), 'submit speed-up': r2(rows[0]!.submittedSeconds / r.submittedSeconds), 'done speed-up': r2(rows[0]!.doneSeconds / r.doneSeconds) })),
  );
  writeResult('slurm', { machine: machineInfo(), rows });
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await benchSlurm();
