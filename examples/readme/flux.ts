// README "Flux backend". Needs a reachable Flux instance (FLUX_URI, or scripts/flux/start-dev-instance.sh); run from examples/readme.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { JobExecutor, Jobspec } from '../../src/index.js';

const uriFile = '/run/jobfutures-flux/uri';
if (!process.env.FLUX_URI && existsSync(uriFile)) process.env.FLUX_URI = readFileSync(uriFile, 'utf8').trim();
const flux = existsSync('/opt/jobfutures-flux/bin/flux') ? '/opt/jobfutures-flux/bin/flux' : 'flux';
const sim = Jobspec.fromCommand([path.resolve('sim'), '--seed', '7'], { duration: '10m' });
const tidy = Jobspec.fromCommand(['true']);
const seeds = [1, 2, 3];
const native = execFileSync(flux, ['submit', '--output=/dev/null', 'true'], { encoding: 'utf8' }).trim();
// readme:start
await using ex = new JobExecutor({ backend: 'flux' });          // FLUX_URI, or { uri: 'local:///run/flux/local-0' }
const futures = seeds.map(() => ex.submit(sim));                // one job-ingest.submit each, pipelined on one connection
const after = ex.submit(tidy, { dependsOnAny: futures });       // Flux's own afterany dependencies
const other = ex.attach(native);                                // a `flux submit` job, by its ƒ id
console.log(futures[0]!.nativeId, (await after).result, (await other).result);   // Flux's id; COMPLETED COMPLETED
// readme:end
console.log((await Promise.all(futures)).map((r) => r.result));
