/**
 * The main job of the README: a local fan-out of short simulations with a live progress line and a
 * summary (counts by result, p50/p95 run time, jobs/s).
 *
 *   npm run example                 # 500 jobs
 *   JOBS=5000 npm run example       # more
 */
import { asCompleted, JobExecutor, Jobspec, type JobResultName } from '../src/index.js';

const total = Number(process.env.JOBS ?? 500);
const tty = process.stdout.isTTY === true;

// Each "simulation" prints its seed; one seed in 97 fails on purpose, so the summary shows both results.
const sim = (seed: number) => Jobspec.fromCommand(['sh', '-c', 'echo "seed $1"; [ $(($1 % 97)) -ne 96 ]', 'sim', String(seed)], { name: `sim-${seed}` });

await using executor = new JobExecutor({ backend: 'local' });
const started = performance.now();
const futures = Array.from({ length: total }, (_, seed) => executor.submit(sim(seed)));

const counts: Record<JobResultName, number> = { COMPLETED: 0, FAILED: 0, CANCELED: 0, TIMEOUT: 0 };
const runTimes: number[] = [];
let done = 0;
let lastLine = 0;

const progress = () => {
  const pct = Math.floor((done / total) * 100);
  const rate = done / ((performance.now() - started) / 1000);
  const line = `[${'#'.repeat(Math.floor(pct / 4)).padEnd(25, '.')}] ${done}/${total} ${pct}%  ${rate.toFixed(0)} jobs/s  failed ${counts.FAILED}`;
  if (tty) process.stdout.write(`\r${line}`);
  else if (done === total || pct >= lastLine + 10) {
    lastLine = pct - (pct % 10);
    console.log(line);
  }
};

for await (const { result } of asCompleted(futures)) {
  done++;
  if (result) {
    counts[result.result]++;
    if (result.tRun !== undefined) runTimes.push((result.tCleanup - result.tRun) * 1000);
  }
  progress();
}
if (tty) process.stdout.write('\n');

const seconds = (performance.now() - started) / 1000;
runTimes.sort((a, b) => a - b);
const pick = (q: number) => runTimes[Math.min(runTimes.length - 1, Math.floor(q * runTimes.length))] ?? 0;
const spawner = (executor.backend as { spawnerName?: string }).spawnerName ?? 'n/a';

console.log(`\nSummary: ${total} jobs on the local backend (spawner: ${spawner}) in ${seconds.toFixed(2)} s`);
for (const [result, n] of Object.entries(counts)) if (n > 0) console.log(`  ${result.padEnd(10)} ${n}`);
console.log(`  run time   p50 ${pick(0.5).toFixed(1)} ms, p95 ${pick(0.95).toFixed(1)} ms`);
console.log(`  throughput ${(total / seconds).toFixed(0)} jobs/s`);
const firstFailed = futures.find((f) => f.peek()?.result === 'FAILED');
if (firstFailed) console.log(`  e.g. failed: ${firstFailed.id!.f58} (${(await firstFailed.readStdout()).trim()}), returncode ${firstFailed.peek()!.returncode}`);
