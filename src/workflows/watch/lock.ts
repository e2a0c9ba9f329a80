/**
 * One watcher per root: a lock file naming the live watcher. A lock left by a watcher that died
 * (even by `kill -9`) is taken over.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

import { JobfuturesError } from '../../util/errors.js';
import { currentOwner, isOwnerAlive } from '../../store/index.js';
import { decodeOwner, encodeOwner } from '../../store/owner.js';

/** Another live watcher runs on the root. Exit code 2. */
export class WatcherRunningError extends JobfuturesError {
  constructor(root: string, pid: number, host: string) {
    super('ERR_WATCHER_RUNNING', `${root} is watched already by process ${pid} on ${host}`);
  }
}

/**
 * Takes the lock at `path` for this process.
 *
 * @returns The function that releases it.
 * @throws {@link WatcherRunningError} while another live process holds it.
 */
export function lockWatchRoot(path: string, root: string): () => void {
  const me = currentOwner();
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, encodeOwner(me) + '\n', { flag: 'wx' });
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
    }
    let text: string | null = null;
    try {
      text = readFileSync(path, 'utf8').trim();
    } catch {
      // removed meanwhile
    }
    const holder = decodeOwner(text);
    if (holder && isOwnerAlive(holder)) throw new WatcherRunningError(root, holder.pid, holder.host);
    rmSync(path, { force: true });
  }
}
