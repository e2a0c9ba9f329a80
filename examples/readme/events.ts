// README "Events".
import { JobExecutor, Jobspec } from '../../src/index.js';

const ex = new JobExecutor({ backend: 'local' });
// readme:start
ex.on('event', (jobid, event) => console.log('on', jobid.f58, event.name));                      // eventemitter3
const watching = (async () => {
  for await (const { jobid, event } of ex.watch()) console.log('watch', jobid.f58, event.name);       // all jobs
})();
const fut = ex.submit(Jobspec.fromCommand(['true']));
for await (const ev of fut.events()) console.log(ev.name, ev.timestamp, ev.context);                   // replays, then follows, ends after clean; any number of consumers
// readme:end
await ex.shutdown();
await watching;
