/**
 * A packed install keeps the fast launcher: `npm pack` the package, install the tarball into a
 * fresh app, and a local JobExecutor there spawns with the native launcher, built by the package's
 * npm `install` script where the runtime looks for it. Without it, the fallback to execa is said
 * once, at install and at run time, and never fails the install.
 *
 * Real npm, real registry (through npm's cache, `--prefer-offline`); skipped with one loud line if
 * npm cannot reach the registry. The other dependencies' install scripts are skipped
 * (`--ignore-scripts`, then `npm rebuild jobfutures` runs ours): better-sqlite3 would otherwise
 * compile SQLite from source for minutes, and a local executor without a store never loads it.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const NETWORK_ERROR = /E(AI_AGAIN|NOTFOUND|CONNREFUSED|CONNRESET|TIMEDOUT|NETUNREACH|HOSTUNREACH)|network|ENOTCACHED/i;
const NO_LAUNCHER = 'JOBFUTURES_NO_LAUNCHER';

let work = '';
let app = '';
let pkg = '';
let skipReason: string | undefined;
let rebuild: SpawnSyncReturns<string>;

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 80_000 });
}

function must(result: SpawnSyncReturns<string>, what: string): SpawnSyncReturns<string> {
  if (result.status !== 0) throw new Error(`${what} failed (status ${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result;
}

/** Runs the app's script: `count` executors, each one job; returns what it printed. */
function runApp(count = 1): { spawners: string[]; results: string[]; stderr: string } {
  const out = must(run(process.execPath, ['main.mjs', String(count)], app), 'the app');
  const lines = out.stdout.trim().split('\n').map((line) => JSON.parse(line) as { spawner: string; result: string });
  return { spawners: lines.map((l) => l.spawner), results: lines.map((l) => l.result), stderr: out.stderr };
}

beforeAll(() => {
  const started = Date.now();
  work = mkdtempSync(path.join(tmpdir(), 'jobf-packed-'));
  const pack = must(run('npm', ['pack', '--json', '--pack-destination', work], repoRoot), 'npm pack');
  const packed = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const files = packed[0]!.files.map((f) => f.path);
  expect(files).toEqual(expect.arrayContaining(['native/launcher.c', 'scripts/build-native.mjs', 'dist/src/index.js', 'package.json']));
  expect(files.filter((f) => f.startsWith('native/build'))).toEqual([]); // built at install, never shipped
  const tarball = path.join(work, packed[0]!.filename);

  app = path.join(work, 'app');
  mkdirSync(app);
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
  writeFileSync(
    path.join(app, 'main.mjs'),
    [
      "import { JobExecutor, Jobspec } from 'jobfutures';",
      'for (let i = 0; i < Number(process.argv[2]); i++) {',
      "  const ex = new JobExecutor({ backend: 'local', maxCores: 1, logDir: 'logs' });",
      "  const r = await ex.submit(Jobspec.fromCommand(['/bin/true']));",
      '  // The executor has no spawner getter: its LocalBackend names the spawner once a job ran.',
      '  console.log(JSON.stringify({ spawner: ex.backend.spawnerName, result: r.result }));',
      '  await ex.shutdown();',
      '}',
    ].join('\n'),
  );

  const install = run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', tarball], app);
  if (install.status !== 0) {
    if (NETWORK_ERROR.test(install.stderr)) {
      skipReason = `npm cannot reach the registry: ${install.stderr.trim().split('\n').slice(-3).join(' | ')}`;
      console.warn(`WARNING: packed-install tests skipped: ${skipReason}`);
      return;
    }
    must(install, 'npm install of the tarball');
  }
  pkg = path.join(app, 'node_modules', 'jobfutures');
  rebuild = must(run('npm', ['rebuild', 'jobfutures', '--foreground-scripts'], app), 'npm rebuild jobfutures (its install script)');
  console.log(`packed install ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}, 90_000);

afterAll(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

describe('packed install', () => {
  it('the install script builds the launcher where the runtime looks for it, and the executor uses it', (ctx) => {
    if (skipReason !== undefined) ctx.skip();
    expect(`${rebuild.stdout}${rebuild.stderr}`).toContain('jobfutures: built the native launcher');
    expect(existsSync(path.join(pkg, 'native', 'build', 'jobf-launcher'))).toBe(true);
    const { spawners, results, stderr } = runApp();
    expect(spawners).toEqual(['launcher']);
    expect(results).toEqual(['COMPLETED']);
    expect(stderr).not.toContain(NO_LAUNCHER);
  });

  it('without the launcher, execa is used and one warning line says so, however many executors', (ctx) => {
    if (skipReason !== undefined) ctx.skip();
    const binary = path.join(pkg, 'native', 'build', 'jobf-launcher');
    rmSync(binary);
    try {
      const { spawners, results, stderr } = runApp(3);
      expect(spawners).toEqual(['execa', 'execa', 'execa']);
      expect(results).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
      const warnings = stderr.split('\n').filter((line) => line.includes(NO_LAUNCHER));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`${binary} is missing`);
      expect(warnings[0]).toContain(path.join(pkg, 'scripts', 'build-native.mjs'));
    } finally {
      must(run(process.execPath, [path.join(pkg, 'scripts', 'build-native.mjs')], pkg), 'rebuilding the launcher');
    }
    expect(runApp().spawners).toEqual(['launcher']);
  });

  it('the install mode never fails: no compiler, or a failing one, is one line and exit status 0', (ctx) => {
    if (skipReason !== undefined) ctx.skip();
    const script = path.join(pkg, 'scripts', 'build-native.mjs');
    const binary = path.join(pkg, 'native', 'build', 'jobf-launcher');
    // A PATH holding only node: no cc, gcc or clang.
    const bin = path.join(work, 'bin-node-only');
    mkdirSync(bin);
    symlinkSync(process.execPath, path.join(bin, 'node'));
    const noCompiler = run(path.join(bin, 'node'), [script, '--install', '--force'], pkg, { PATH: bin, CC: '' });
    expect(noCompiler.status).toBe(0);
    expect(noCompiler.stderr.trim().split('\n')).toEqual([
      'jobfutures: native launcher not built: no C compiler found (set CC, or install cc/gcc/clang, then run: node scripts/build-native.mjs); jobfutures will use the slower execa spawner',
    ]);

    // A "compiler" that answers --version but fails to compile.
    const broken = path.join(work, 'broken-cc');
    writeFileSync(broken, '#!/bin/sh\n[ "$1" = --version ] && exit 0\necho "broken-cc: cannot compile" >&2\nexit 1\n');
    chmodSync(broken, 0o755);
    const failing = run(process.execPath, [script, '--install', '--force'], pkg, { ...process.env, CC: broken });
    expect(failing.status).toBe(0);
    expect(failing.stderr).toContain(`jobfutures: native launcher not built: ${broken} failed (exit status 1); jobfutures will use the slower execa spawner`);
    // Outside install mode the same failure is an error (npm run build must fail loudly).
    expect(run(process.execPath, [script, '--force'], pkg, { ...process.env, CC: broken }).status).toBe(1);
    // A failed rebuild leaves the working binary in place.
    expect(existsSync(binary)).toBe(true);
    expect(runApp().spawners).toEqual(['launcher']);
  });
});
