#!/usr/bin/env node
/**
 * Builds the native launcher (native/launcher.c → native/build/jobf-launcher).
 *
 * - Rebuilds only when the source is newer than the binary (or the binary is missing).
 * - Without a C compiler ($CC, cc, gcc or clang) prints one warning line and exits 0: the library
 *   then falls back to the execa spawner.
 * - A compiler error is a real error: the output is shown and the exit status is 1.
 *
 * Usage: node scripts/build-native.mjs [--force]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'native', 'launcher.c');
const outDir = join(root, 'native', 'build');
const binary = join(outDir, 'jobf-launcher');
const force = process.argv.includes('--force');

if (process.platform !== 'linux') {
  console.warn(`build-native: skipped, the launcher supports Linux only (this is ${process.platform}); using the execa spawner`);
  process.exit(0);
}

if (!force && existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) {
  process.exit(0);
}

/** The first compiler that answers `--version`, or undefined. */
function findCompiler() {
  const candidates = [process.env.CC, 'cc', 'gcc', 'clang'].filter((c) => typeof c === 'string' && c !== '');
  for (const cc of candidates) {
    const probe = spawnSync(cc, ['--version'], { stdio: 'ignore' });
    if (probe.status === 0) return cc;
  }
  return undefined;
}

const cc = findCompiler();
if (cc === undefined) {
  console.warn('build-native: skipped, no C compiler found (set CC or install cc); using the execa spawner');
  process.exit(0);
}

mkdirSync(outDir, { recursive: true });
// Build next to the target, then rename: a concurrent reader never sees a half-written binary.
const temp = `${binary}.${process.pid}.tmp`;
const result = spawnSync(cc, ['-O2', '-Wall', '-Wextra', '-pthread', '-o', temp, source], { stdio: 'inherit' });
if (result.status !== 0) {
  rmSync(temp, { force: true });
  console.error(`build-native: ${cc} failed (${result.error?.message ?? `exit status ${result.status}`})`);
  process.exit(1);
}
renameSync(temp, binary);
console.log(`build-native: built ${binary}`);
