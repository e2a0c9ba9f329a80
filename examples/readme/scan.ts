// README "Parameter scans (from jetto_tools)".
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JobExecutor, loadRuns, scan } from '../../src/index.js';

process.chdir(mkdtempSync(path.join(tmpdir(), 'jobf-readme-')));
// readme:start
await using ex = new JobExecutor({ backend: 'local', store: 'jobs.db' });
const points = scan(ex, { root: 'runs', params: { seed: [1, 2], size: ['s', 'l'] }, zip: false, command: ['sh', '-c', 'echo {seed} {size} > out.txt'] });
for (const run of await Promise.all(points.map((p) => p.ended))) console.log(run.name, run.params, run.status);   // point_000 { seed: 1, size: 's' } SUCCESSFUL
for (const run of loadRuns('runs')) console.log(run.name, run.jobid?.f58, run.status, run.result, run.returncode);  // from the files alone, as jetto's retrieve_jobs(dir)
// readme:end
