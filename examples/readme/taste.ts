// README "A taste". Run from examples/readme (where ./sim is).
// readme:start
import { JobExecutor, Jobspec, asCompleted, wait } from '../../src/index.js';

await using ex = new JobExecutor({ backend: 'local' });          // or 'slurm', 'sge', 'flux'
const fut = ex.submit(Jobspec.fromCommand(['./sim', '--seed', '7'], { coresPerTask: 2, duration: '10m' }));
for await (const ev of fut.events()) console.log(ev.name);          // submit validate depend priority alloc start finish release free clean
const r = await fut;                                                 // { result: 'COMPLETED', returncode: 0, ... }
// readme:end
console.log(r.result, r.returncode, await fut.readStdout());
void asCompleted;
void wait;
