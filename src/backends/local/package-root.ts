/**
 * Locating the package's own files (the native launcher, benchmark results) from compiled or
 * source modules alike.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * The jobfutures package root: the nearest folder at or above this module that holds a
 * `package.json`. Works from `src/` (vitest) and from `dist/src/` (after `tsc`), since `dist/` has no
 * `package.json` of its own.
 *
 * @throws Error if no `package.json` is found up to the filesystem root (a broken installation).
 */
export function packageRoot(): string {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) {
      cached = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`jobfutures: no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}
