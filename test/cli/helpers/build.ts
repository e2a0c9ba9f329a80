/**
 * Compiles what the end-to-end tests run in child processes (the `jobf` bin and the store's
 * writer fixture) into a temporary directory, once per source version.
 *
 * Only the files reachable from test/cli/fixtures/tsconfig.e2e.json are compiled, with `--noCheck`
 * (type errors are `npm run typecheck`'s job), so the tests do not depend on `npm run build` nor on
 * unrelated files of the repository compiling. The output goes to
 * `$TMPDIR/jobfutures-e2e-<uid>-<hash of the sources>/`, with a `package.json` (`type: module`) and
 * `node_modules` and `schemas` symlinks to the repository's, so that Node resolves the dependencies
 * and the package finds its data files. Builds of
 * concurrent test files are serialised with a lock directory; a finished build is reused.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { execa } from 'execa';

/** The repository root. */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

const CONFIG = join(REPO, 'test/cli/fixtures/tsconfig.e2e.json');
const DONE = '.complete';

function hashSources(): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts') || name.endsWith('.json')) {
        hash.update(path).update('\0').update(readFileSync(path)).update('\0');
      }
    }
  };
  walk(join(REPO, 'src'));
  walk(join(REPO, 'schemas'));
  walk(join(REPO, 'test/store/fixtures'));
  hash.update(readFileSync(CONFIG));
  return hash.digest('hex').slice(0, 16);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function compile(outDir: string): Promise<void> {
  const tmp = `${outDir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const tsc = join(REPO, 'node_modules/typescript/bin/tsc');
  const r = await execa('node', [tsc, '-p', CONFIG, '--noCheck', '--outDir', tmp], { reject: false, cwd: REPO });
  if (!existsSync(join(tmp, 'src/cli/main.js'))) {
    throw new Error(`compiling the e2e build failed:\n${r.stdout}\n${r.stderr}`);
  }
  writeFileSync(join(tmp, 'package.json'), JSON.stringify({ type: 'module', version: '0.0.0-e2e' }));
  // Dependencies, and the data files the package reads next to its package.json.
  symlinkSync(join(REPO, 'node_modules'), join(tmp, 'node_modules'), 'dir');
  symlinkSync(join(REPO, 'schemas'), join(tmp, 'schemas'), 'dir');
  // The native launcher (`npm run build` / the install script builds it there), as in a real install.
  symlinkSync(join(REPO, 'native'), join(tmp, 'native'), 'dir');
  writeFileSync(join(tmp, DONE), '');
  try {
    renameSync(tmp, outDir);
  } catch {
    // Someone else finished first: theirs is as good.
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Removes builds of older sources (untouched for an hour: no test run can still be using them). */
function removeStaleBuilds(current: string): void {
  const prefix = current.slice(0, current.lastIndexOf('-') + 1);
  for (const name of readdirSync(tmpdir())) {
    const path = join(tmpdir(), name);
    if (!path.startsWith(prefix) || path === current || path.endsWith('.lock')) continue;
    try {
      if (Date.now() - statSync(path).mtimeMs > 3_600_000) rmSync(path, { recursive: true, force: true });
    } catch {
      // gone meanwhile
    }
  }
}

let built: Promise<string> | undefined;

/**
 * Builds (or reuses) the e2e output directory.
 *
 * @returns Its path: the bin is `<dir>/src/cli/main.js`, the writer `<dir>/test/store/fixtures/writer.js`.
 */
export function buildForTests(): Promise<string> {
  return (built ??= (async () => {
    const uid = process.getuid?.() ?? 0;
    const outDir = join(tmpdir(), `jobfutures-e2e-${uid}-${hashSources()}`);
    const lock = `${outDir}.lock`;
    const deadline = Date.now() + 180_000;
    while (!existsSync(join(outDir, DONE))) {
      try {
        mkdirSync(lock);
      } catch {
        // Another test file is building; a lock older than 3 minutes belongs to a dead build.
        try {
          if (Date.now() - statSync(lock).mtimeMs > 180_000) rmSync(lock, { recursive: true, force: true });
        } catch {
          // it went away meanwhile
        }
        if (Date.now() > deadline) throw new Error(`timed out waiting for the e2e build lock ${lock}`);
        await sleep(200);
        continue;
      }
      try {
        if (!existsSync(join(outDir, DONE))) {
          await compile(outDir);
          removeStaleBuilds(outDir);
        }
      } finally {
        rmSync(lock, { recursive: true, force: true });
      }
    }
    return outDir;
  })());
}
