// README: the plain JavaScript form (no `await using`), for Node 20 and 22. Run from examples/readme.
import { JobExecutor, Jobspec } from 'jobfutures';

// readme:start
const ex = new JobExecutor({ backend: 'local' });
try {
  const r = await ex.submit(Jobspec.fromCommand(['./sim', '--seed', '7']));
  console.log(r.result);
} finally {
  await ex.shutdown();
}
// readme:end
