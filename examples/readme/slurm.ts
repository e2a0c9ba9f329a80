// README "Slurm backend". Needs a reachable Slurm (scripts/slurm/start-dev-cluster.sh); run from examples/readme.
import { mkdtempSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JobExecutor, Jobspec } from '../../src/index.js';

const sim = (seed: number) => Jobspec.fromCommand([path.resolve('sim'), '--seed', String(seed)]);
const seeds = [1, 2, 3];
const shared = mkdtempSync(path.join(tmpdir(), 'jobf-readme-slurm-'));
const native = execFileSync('sbatch', ['--parsable', '-o', '/dev/null', '--wrap', 'true'], { encoding: 'utf8' }).trim();
// readme:start
await using ex = new JobExecutor({ backend: 'slurm', logDir: shared, pollInterval: { min: 250, max: 5000 } });
const futures = seeds.map((s) => ex.submit(sim(s)));    // one resource shape: one `sbatch --array`, each task its own job
const other = ex.attach(native);                          // a job submitted elsewhere with plain sbatch, followed to its result
// readme:end
console.log((await Promise.all(futures)).map((r) => r.result), (await other).result);
