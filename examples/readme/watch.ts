// README "Inbox watcher (from Odyssey's job_manager)".
import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setupWatchRoot, watchInbox } from '../../src/index.js';

const root = path.join(mkdtempSync(path.join(tmpdir(), 'jobf-readme-')), 'jobs');
setupWatchRoot(root);
for (const name of ['110', '100']) {
  mkdirSync(path.join(root, name));
  writeFileSync(path.join(root, name, 'job.sh'), `echo job ${name}\n`);
  renameSync(path.join(root, name), path.join(root, 'inbox', name));
}
// readme:start
const stop = new AbortController();               // e.g. aborted on SIGINT: waits for the running jobs, then returns
const summary = await watchInbox({ root, backend: 'local', period: 1, parallel: 4, exitWhenIdle: true, signal: stop.signal, onEvent: (e) => console.log(JSON.stringify(e)) });
console.log(summary);                             // { submitted: 2, completed: 2, failed: 0 }
// readme:end
