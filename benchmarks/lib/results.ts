/**
 * Where benchmark results go: `benchmarks/results/<name>.json` under the package root.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/backends/local/package-root.js';

/** The results folder, `<package root>/benchmarks/results`. */
export function resultsDir(): string {
  return join(packageRoot(), 'benchmarks', 'results');
}

/**
 * Writes `data` as indented JSON to `benchmarks/results/<name>.json` (creating the folder) and
 * returns the file's path.
 *
 * @param name file name without extension, e.g. `spawn`; letters, digits, `-`, `_` and `.` only.
 * @throws Error for a name that could escape the results folder.
 */
export function writeResult(name: string, data: unknown): string {
  if (!/^[\w.-]+$/.test(name) || name.startsWith('.')) throw new Error(`bad result name ${JSON.stringify(name)}`);
  const dir = resultsDir();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}
