// README "Fan-outs". Run from examples/readme (where ./sim is).
import { JobExecutor, Jobspec, asCompleted, wait } from '../../src/index.js';

await using ex = new JobExecutor({ backend: 'local' });
const sim = (seed: number) => Jobspec.fromCommand(['./sim', '--seed', String(seed)]);
const specs = [1, 2, 3].map(sim);
const seeds = Array.from({ length: 20 }, (_, i) => i);

// readme:start
for await (const r of ex.map(specs, { maxInFlight: 256, ordered: false })) console.log(r.result);

const futures = seeds.map((s) => ex.submit(sim(s)));
for await (const { future, result } of asCompleted(futures, { timeout: 600_000 })) console.log(future.id, result?.result);
const { done, notDone } = await wait(futures, { returnWhen: 'FIRST_EXCEPTION' });   // two Sets of futures; or FIRST_COMPLETED, ALL_COMPLETED
// readme:end
console.log(done.size, notDone.size);
