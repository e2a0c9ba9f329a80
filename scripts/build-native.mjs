#!/usr/bin/env node
/**
 * Builds the native launcher (native/launcher.c → native/build/jobf-launcher, where the runtime
 * looks for it: `<package root>/native/build/jobf-launcher`, see src/backends/local/launcher-spawner.ts).
 *
 * - Rebuilds only when the source is newer than the binary (or the binary is missing).
 * - Without a C compiler ($CC, cc, gcc or clang) prints one warning line and exits 0: the library
 *   then falls back to the execa spawner.
 * - A compiler error is a real error: the output is shown and the exit status is 1 — except with
 *   `--install` (the package's npm `install` script), which never fails the install: every
 *   problem is one warning line and the exit status is 0.
 *
 * Usage: node scripts/build-native.mjs [--force] [--install]
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
const installing = process.argv.includes('--install');
const FALLBACK = 'jobfutures will use the slower execa spawner';

/** Ends with one warning line; exit status 0 (nothing to build, or nothing that may fail the install). */
function skip(reason) {
  console.warn(`jobfutures: native launcher not built: ${reason}; ${FALLBACK}`);
  process.exit(0);
}

if (process.platform !== 'linux') skip(`it supports Linux only (this is ${process.platform})`);
if (!existsSync(source)) skip(`${source} is missing`);

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
if (cc === undefined) skip('no C compiler found (set CC, or install cc/gcc/clang, then run: node scripts/build-native.mjs)');

try {
  mkdirSync(outDir, { recursive: true });
} catch (error) {
  if (!installing) throw error;
  skip(`cannot create ${outDir} (${error.message})`);
}
// Build next to the target, then rename: a concurrent reader never sees a half-written binary.
const temp = `${binary}.${process.pid}.tmp`;
const result = spawnSync(cc, ['-O2', '-Wall', '-Wextra', '-pthread', '-o', temp, source], { stdio: 'inherit' });
if (result.status !== 0) {
  rmSync(temp, { force: true });
  const why = `${cc} failed (${result.error?.message ?? `exit status ${result.status}`})`;
  if (installing) skip(why);
  console.error(`build-native: ${why}`);
  process.exit(1);
}
renameSync(temp, binary);
console.log(`jobfutures: built the native launcher ${binary}`);
