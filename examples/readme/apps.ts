// README "App registry (from libEnsemble)". Run from examples/readme (where ./sim is).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AppRegistry, JobExecutor, pollingLoop } from '../../src/index.js';

const work = mkdtempSync(path.join(tmpdir(), 'jobf-readme-apps-'));
const finish = new AbortController(); // the manager's "finish" signal
// readme:start
await using ex = new JobExecutor({ backend: 'local' });                 // or 'slurm'
const apps = new AppRegistry(ex, { workdir: work });                    // bound to one executor
apps.register('sim', { fullPath: path.resolve('sim'), calcType: 'sim' }); // register_app(full_path, app_name, calc_type)
const task = apps.launch('sim', { appArgs: '--seed 7', stdout: 'sim.out' }); // submit(app_name=..., app_args=..., stdout=...); numProcs: 4 → one MPI job
console.log(task.poll());                                               // WAITING RUNNING FINISHED FAILED USER_KILLED FAILED_TO_START; never blocks
const { status } = await pollingLoop(task, { timeout: 60_000, signal: finish.signal }); // kills it on the timeout, or when `finish` aborts
console.log(status, task.stdoutExists(), await task.readStdout(), await task.readFileInWorkdir('sim.out'));
const other = apps.launch({ calcType: 'sim', appArgs: ['--seed', '13'], workdir: path.join(work, '13') });
console.log((await apps.kill(other, { waitTime: 5_000 })).result);     // SIGTERM, SIGKILL 5 s later if still running (0: SIGKILL at once)
try {
  apps.launch('nope');
} catch (err) {
  console.log((err as Error).name);                                     // UnknownAppError: nothing was submitted
}
// readme:end
