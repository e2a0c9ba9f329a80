// README "Job store and crash safety".
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JobExecutor, Jobspec } from '../../src/index.js';

process.chdir(mkdtempSync(path.join(tmpdir(), 'jobf-readme-')));
const first = new JobExecutor({ store: 'jobs.db' });
const id = (await first.submit(Jobspec.fromCommand(['true']))).jobid;
await first.shutdown();

// readme:start
await using ex = new JobExecutor({ store: 'jobs.db' });     // SQLite (WAL): jobspec, every event, native id, result
console.log(ex.recovered);                                   // what it took over from a dead owner
console.log(ex.list({ state: 'RUN' }), ex.get(id)?.result, (await ex.attach(id)).result);       // attach works from the store, after the fact
// readme:end
