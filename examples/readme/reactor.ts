// README "The reactor".
import { Jobspec, LocalBackend, Reactor } from '../../src/index.js';

const spec = Jobspec.fromCommand(['true']).setAttribute('system.exec.test.run_duration', 0);
// readme:start
const reactor = new Reactor({ backend: new LocalBackend({ maxCores: 64 }) });
let events = 0;
reactor.onEvent((jobid, name, timestamp, context) => void (events++, context));   // batched, positional, no event objects
reactor.submitMany(spec, 1_000_000, (err, first, count) => console.log(err, first, count));
const id = await reactor.submitAsync(spec);                  // or .callback((err, id) => ...) without a Promise
reactor.resultAsync(id).callback((err, r) => console.log(err, r?.result));
reactor.eventWatchAsync(id, (ev) => void ev); reactor.cancelAsync(id); reactor.killAsync(id, 'SIGINT');
await reactor.run();                                         // every job inactive
// readme:end
console.log(events);
await reactor.close();
