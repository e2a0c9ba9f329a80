/**
 * The job folders of a watcher root on disk: the inbox in alphabetical order, and the moves
 * between the three folders (renames: atomic, and never onto an existing name).
 */
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { HELPER_FILES, JOB_SCRIPT, type WatchRootPaths } from './layout.js';

/** One entry of `inbox/`. */
export interface InboxEntry {
  readonly name: string;
  readonly isFolder: boolean;
}

/** The entries of a folder (hidden names left out), in alphabetical (code unit) order. */
export function sortedEntries(dir: string): InboxEntry[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => !d.name.startsWith('.'))
    .map((d) => ({ name: d.name, isFolder: d.isDirectory() }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Whether a folder holds a `job.sh` file. */
export function hasJobScript(dir: string): boolean {
  try {
    return statSync(join(dir, JOB_SCRIPT)).isFile();
  } catch {
    return false;
  }
}

/** Where a folder of this name already is in `pending/` or `complete/`, if it is. */
export function clashOf(paths: WatchRootPaths, name: string): 'pending' | 'complete' | undefined {
  if (existsSync(join(paths.pending, name))) return 'pending';
  if (existsSync(join(paths.complete, name))) return 'complete';
  return undefined;
}

/**
 * Removes the watcher's helper files that a folder in the inbox may carry from an earlier run
 * (a folder copied back from `complete/`), so that it is submitted anew and not taken for a job
 * already submitted. The user's own files are left alone.
 */
export function clearHelperFiles(dir: string): void {
  for (const name of [HELPER_FILES.jobid, HELPER_FILES.status, HELPER_FILES.error]) rmSync(join(dir, name), { force: true });
}

/**
 * Moves `from` into the folder `toDir` under `name`, or, if that name is taken there, under the
 * first free `name.2`, `name.3`… Never overwrites. Returns the name it got.
 */
export function moveWithoutOverwrite(from: string, toDir: string, name: string): string {
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? name : `${name}.${n}`;
    if (existsSync(join(toDir, candidate))) continue;
    renameSync(from, join(toDir, candidate));
    return candidate;
  }
}
