import { JobExecutor, Jobspec, LocalBackend, Reactor, wait } from './dist/src/index.js';
const spec = Jobspec.fromCommand(['true']).setAttribute('system.exec.test.run_duration', 0);
const N = 200000;
async function once(kind) {
  const backend = new LocalBackend({ maxCores: 8 });
  const t0 = performance.now(); const c0 = process.cpuUsage();
  if (kind === 'many') { const r = new Reactor({ backend }); r.submitMany(spec, N); await r.run(); await r.close(); }
  else if (kind === 'loop') { const r = new Reactor({ backend }); for (let i = 0; i < N; i++) r.submitRef(spec); await r.run(); await r.close(); }
  else if (kind === 'exsubmit') { const ex = new JobExecutor({ backend }); for (let i = 0; i < N; i++) ex.submit(spec); await ex.reactor.run(); await ex.shutdown(); }
  else if (kind === 'wait') { const ex = new JobExecutor({ backend }); const f = Array.from({length:N}, () => ex.submit(spec)); await wait(f); await ex.shutdown(); }
  const c = process.cpuUsage(c0);
  return [(performance.now() - t0) * 1000 / N, (c.user + c.system) / N];
}
const kind = process.argv[2];
await once(kind);
const r = await once(kind);
console.log(kind, 'µs/job wall', r[0].toFixed(3), 'cpu', r[1].toFixed(3));
