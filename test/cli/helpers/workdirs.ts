import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { tempDir } from '../../store/helpers.js';

/** A fresh working folder with the path of its own `jobs.db`. */
export interface Workdir {
  readonly cwd: string;
  readonly db: string;
}

/**
 * Registers the suite's set-up (`before`, then one temp root) and tear-down, and returns a maker of
 * fresh working folders under that root, each with its own `jobs.db` path.
 */
export function useWorkdirs(prefix: string, before?: () => Promise<void>): () => Workdir {
  let root = '';
  let cleanup = (): void => {};
  let n = 0;
  beforeAll(async () => {
    await before?.();
    ({ dir: root, cleanup } = tempDir(prefix));
  }, 180_000);
  afterAll(() => cleanup());
  return () => {
    const cwd = join(root, `w${++n}`);
    mkdirSync(cwd);
    return { cwd, db: join(cwd, 'jobs.db') };
  };
}
