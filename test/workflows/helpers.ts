/** Helpers of the workflow tests: job folders for an inbox, reading what the watcher left, apps and their processes. */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Drops a job folder into `root/inbox` the way users should (built aside, then moved in at once).
 * `script` becomes its `job.sh`; `files` are extra files of the user's.
 */
export function dropJob(root: string, name: string, script: string | undefined, files: Record<string, string> = {}): void {
  const staging = join(root, '.staging', name);
  mkdirSync(staging, { recursive: true });
  if (script !== undefined) writeFileSync(join(staging, 'job.sh'), script);
  for (const [file, text] of Object.entries(files)) writeFileSync(join(staging, file), text);
  renameSync(staging, join(root, 'inbox', name));
}

/** The non-hidden names in a folder, sorted. */
export function names(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((n) => !n.startsWith('.')).sort() : [];
}

/** The non-empty lines of a file ([] if it does not exist). */
export function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : [];
}

/** A file's text, trimmed. */
export function text(file: string): string {
  return readFileSync(file, 'utf8').trim();
}

export { processesWith } from '../behaviour/helpers.js';

/** Writes an executable shell script `dir/name` with `body`; returns its path. */
export function writeApp(dir: string, name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}
