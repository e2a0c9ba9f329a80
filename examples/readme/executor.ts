// README "Executor and futures". Run from examples/readme (where ./sim is).
import { JobExecutor, Jobspec } from '../../src/index.js';

const spec = Jobspec.fromCommand(['./sim', '--seed', '7']);
const tidy = Jobspec.fromCommand(['./sim', '--tidy', '0']);
const slow = Jobspec.fromCommand(['sleep', '30']);

// readme:start
const ex = new JobExecutor({ backend: 'local', maxCores: 8, logDir: './logs', rejectOnFailure: false });
const other = ex.submit(spec);
const fut = ex.submit(spec, { urgency: 31, dependsOn: [other], signal: AbortSignal.timeout(60_000) });
const cleanup = ex.submit(tidy, { dependsOnAny: [fut] });  // afterany: runs however `fut` ended (dependsOn is afterok)

console.log(await fut);           // JobResult: { jobid, nativeId, result, returncode, waitstatus, exception, tSubmit, tRun, tCleanup }
console.log((await cleanup).result);
const running = ex.submit(slow);
await running.result({ timeout: 200 }).catch((err: Error) => console.log(err.name)); // TimeoutError after 200 ms; the job keeps running
console.log(running.state);       // NEW DEPEND PRIORITY SCHED RUN CLEANUP INACTIVE
console.log(running.done(), running.running(), running.cancelled());
console.log(ex.kill(running.id!, 'SIGUSR1'));      // true if the signal reached the job's processes, false if it has none (yet, or any more); returncode -10 if it dies of it
console.log((await running).returncode);
const held = ex.submit(spec, { urgency: 0 });
console.log(ex.setUrgency(held.id!, 0));        // 0 holds a pending job; raising it releases it
console.log(held.cancel('reason'));             // pending or running; returns whether it took effect
console.log(fut.stdoutPath, await fut.readStdout(), await fut.readStderr());
await held.readStdout().catch((err: Error) => console.log(err.name));  // OutputUnavailableError if the job never started (and why)
fut.addEventCallback('start', (f, ev) => console.log(f.id, ev.timestamp));  // replays past events too
// readme:end
await ex.shutdown();
