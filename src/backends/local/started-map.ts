/**
 * The started map of a launcher (see native/launcher.c): a shared sparse file in which the
 * launcher marks every request before it starts it, so that the spawner can tell, without a round
 * trip, that a request whose `onSpawn` has not arrived yet has started.
 */
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDirectory } from './job-files.js';

/** Entries of the started map (u32 each, sparse file): keys beyond it are never seen as started early. */
export const STARTED_MAP_ENTRIES = 1 << 22;

/**
 * A new started map for a launcher: a sparse file of {@link STARTED_MAP_ENTRIES} u32 entries,
 * unlinked at once (the launcher gets the fd). -1 if it cannot be made: then requests are never
 * seen as started before their reply.
 */
export function startedMapFile(): number {
  let dir: string | undefined;
  try {
    dir = mkdtempSync(join(isDirectory('/dev/shm') ? '/dev/shm' : tmpdir(), 'jobf-launcher-'));
    const fd = openSync(join(dir, 'started'), 'w+', 0o600);
    try {
      ftruncateSync(fd, STARTED_MAP_ENTRIES * 4);
    } catch {
      closeSync(fd);
      return -1;
    }
    return fd;
  } catch {
    return -1;
  } finally {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
}
