/**
 * `npm run bench`: every benchmark, one after the other. Each prints its table and writes
 * `benchmarks/results/<name>.json`. Compare rows within one run (ratios): this machine is noisy.
 *
 *   npm run bench                   # everything
 *   BENCH=overhead,spawn npm run bench
 *   BENCH_ROUNDS=3 npm run bench    # rounds of the real-process and per-idiom benchmarks (median of ratios; idioms: at least 3)
 */
import { benchJobspecBuild } from './jobspec-build.js';
import { benchIds } from './ids.js';
import { benchOverhead } from './overhead.js';
import { benchIdioms } from './overhead-idioms.js';
import { benchFloors } from './floors.js';
import { benchSpawn } from './spawn.js';
import { benchLatency } from './latency.js';
import { benchSlurm } from './slurm.js';
import { benchSge } from './sge.js';
import { benchFlux } from './flux.js';
import { printTable } from './lib/table.js';
import { writeResult } from './lib/results.js';
import { machineInfo } from './lib/machine.js';

const all = ['jobspec', 'ids', 'overhead', 'idioms', 'floors', 'spawn', 'latency', 'slurm', 'sge', 'flux'] as const;
const wanted = process.env.BENCH ? process.env.BENCH.split(',').map((s) => s.trim()) : [...all];
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const machine = machineInfo();
console.log(`jobfutures benchmarks: ${machine.cpus} cpus (${machine.model}), ${machine.memoryGiB} GiB, node ${machine.node}, ${machine.date}`);

for (const name of wanted) {
  switch (name) {
    case 'jobspec': {
      const r = await benchJobspecBuild({});
      printTable(`Jobspec build + validate (${r.name})`, r.rows);
      writeResult('jobspec', { machine, ...r });
      break;
    }
    case 'ids': {
      const r = await benchIds();
      printTable('JobIDs', r.rows);
      writeResult('ids', { machine, ...r });
      break;
    }
    case 'overhead':
      await benchOverhead();
      break;
    case 'idioms':
      await benchIdioms({ rounds: Math.max(3, rounds) });
      break;
    case 'floors':
      await benchFloors({ rounds: Math.max(3, rounds) });
      break;
    case 'spawn':
      await benchSpawn({ jobs: 5000, concurrency: 8, rounds });
      break;
    case 'latency':
      await benchLatency();
      break;
    case 'slurm':
      await benchSlurm({ rounds });
      break;
    case 'sge':
      await benchSge();
      break;
    case 'flux':
      await benchFlux();
      break;
    default:
      throw new Error(`unknown benchmark ${name}; known: ${all.join(', ')}`);
  }
}
