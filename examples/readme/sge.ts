// README "Grid Engine backend". Needs a reachable Grid Engine (scripts/sge/start-dev-cluster.sh); run from examples/readme.
import { mkdtempSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JobExecutor, Jobspec } from '../../src/index.js';

const sim = (seed: number) => Jobspec.fromCommand([path.resolve('sim'), '--seed', String(seed)]);
const seeds = [1, 2, 3];
const shared = mkdtempSync(path.join(tmpdir(), 'jobf-readme-sge-'));
const native = execFileSync('qsub', ['-terse', '-b', 'y', '-o', '/dev/null', '-e', '/dev/null', 'true'], { encoding: 'utf8' }).trim();
// readme:start
await using ex = new JobExecutor({ backend: 'sge', logDir: shared, queue: 'all.q', pollInterval: { min: 250, max: 5000 } });
const futures = seeds.map((s) => ex.submit(sim(s)));  // different specs, one shape: one `qsub -t 1-3` array
const other = ex.attach(native);                          // a job submitted elsewhere with plain qsub, followed to its result
// readme:end
console.log((await Promise.all(futures)).map((r) => r.result), (await other).result);
