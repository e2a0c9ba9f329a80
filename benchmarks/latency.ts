/**
 * Benchmark 3, latency on an idle executor, one job at a time: submit → start (from the job's own
 * event timestamps) and finish → future resolved (the `finish` event's timestamp to the moment
 * `await future` resumes). Real `/bin/true` jobs and simulated ones (SDK only).
 */
import { pathToFileURL } from 'node:url';
import { JobExecutor, Jobspec } from '../src/index.js';
import { now } from '../src/util/time.js';
import { machineInfo } from './lib/machine.js';
import { printTable } from './lib/table.js';
import { writeResult } from './lib/results.js';

/** One row of the latency benchmark (milliseconds). */
export interface LatencyRow {
  readonly job: string;
  readonly spawner: string;
  readonly samples: number;
  readonly submitToStartP50: number;
  readonly submitToStartP99: number;
  readonly finishToResolvedP50: number;
  readonly finishToResolvedP99: number;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Number((s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0).toFixed(3));
};

async function measure(job: string, spec: Jobspec, spawner: 'launcher' | 'execa', samples: number): Promise<LatencyRow> {
  await using executor = new JobExecutor({ backend: 'local', spawner });
  const toStart: number[] = [];
  const toResolved: number[] = [];
  for (let i = 0; i < samples + 5; i++) {
    const future = executor.submit(spec);
    const result = await future;
    const resolvedAt = now();
    if (i < 5) continue; // warm-up
    const events = executor.reactor.eventsOf(result.jobid);
    const submit = events.find((e) => e.name === 'submit')!.timestamp;
    const start = events.find((e) => e.name === 'start')!.timestamp;
    const finish = events.find((e) => e.name === 'finish')!.timestamp;
    toStart.push((start - submit) * 1000);
    toResolved.push((resolvedAt - finish) * 1000);
  }
  return {
    job,
    spawner,
    samples,
    submitToStartP50: quantile(toStart, 0.5),
    submitToStartP99: quantile(toStart, 0.99),
    finishToResolvedP50: quantile(toResolved, 0.5),
    finishToResolvedP99: quantile(toResolved, 0.99),
  };
}

/** Runs the latency benchmark, prints its table and writes `benchmarks/results/latency.json`. */
export async function benchLatency(options: { samples?: number } = {}): Promise<LatencyRow[]> {
  const samples = options.samples ?? 300;
  const real = Jobspec.fromCommand(['/bin/true'], { environment: { PATH: '/usr/bin:/bin' } });
  const simulated = Jobspec.fromCommand(['true']).setAttribute('system.exec.test.run_duration', 0);
  const rows = [
    await measure('simulated', simulated, 'launcher', samples),
    await measure('/bin/true', real, 'launcher', samples),
    await measure('/bin/true', real, 'execa', samples),
  ];
  printTable('Latency (ms), one job at a time on an idle executor', rows as unknown as Record<string, string | number>[]);
  writeResult('latency', { machine: machineInfo(), rows });
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await benchLatency();
