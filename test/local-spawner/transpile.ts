/**
 * Makes the launcher spawner runnable by a plain `node` child process (no TypeScript loader):
 * transpiles its sources, one file each, into a temp folder with the same layout.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { ROOT } from './harness.js';

const SOURCES = [
  'src/util/errors.ts',
  'src/util/time.ts',
  'src/backends/local/spawner.ts',
  'src/backends/local/spawn-common.ts',
  'src/backends/local/package-root.ts',
  'src/backends/local/launcher-replies.ts',
  'src/backends/local/launcher-requests.ts',
  'src/backends/local/job-files.ts',
  'src/backends/local/started-map.ts',
  'src/backends/local/launcher-spawner.ts',
];

/** Transpiles the launcher spawner into `dir`; returns the URL of its entry module. */
export function transpileLauncherSpawner(dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  for (const rel of SOURCES) {
    const source = readFileSync(join(ROOT, rel), 'utf8');
    const out = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      fileName: rel,
    });
    const target = join(dir, rel.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, out.outputText);
  }
  return new URL(`file://${join(dir, 'src/backends/local/launcher-spawner.js')}`).href;
}
