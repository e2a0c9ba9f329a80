/**
 * What only the launcher spawner has to guarantee: no orphans whatever happens to its parent or to
 * itself, and an event loop that waits for running processes but not for an idle launcher.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LauncherSpawner } from '../../src/backends/local/launcher-spawner.js';
import { resolveSpawner } from '../../src/backends/local/spawners.js';
import {
  Harness,
  LAUNCHER_BINARY,
  alive,
  buildLauncher,
  eventually,
  groupMembers,
  removeDir,
  tempDir,
} from './harness.js';
import { transpileLauncherSpawner } from './transpile.js';

buildLauncher();
const available = LauncherSpawner.available(LAUNCHER_BINARY);

/** Pids of this process's children running the launcher binary. */
function launcherChildren(parent: number): number[] {
  let out = '';
  try {
    out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(parent)], { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when nothing matches
  }
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([, comm]) => comm === 'jobf-launcher')
    .map(([pid]) => Number(pid));
}

/** The parent pid of a live process. */
function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

function readPidFile(path: string): number | undefined {
  try {
    const text = readFileSync(path, 'utf8').trim();
    return text === '' ? undefined : Number(text);
  } catch {
    return undefined;
  }
}

describe.skipIf(!available)('launcher spawner lifecycle', () => {
  let dir: string;
  let script: string;

  beforeAll(() => {
    dir = tempDir('jobf-launcher-life-');
    const url = transpileLauncherSpawner(join(dir, 'lib'));
    script = join(dir, 'child.mjs');
    writeFileSync(
      script,
      `import { LauncherSpawner } from ${JSON.stringify(url)};
const [mode, binary] = process.argv.slice(2);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const spawner = new LauncherSpawner({
  onSpawn: (key, pid) => say({ spawn: key, pid }),
  onSpawnError: (key, errno) => say({ error: key, errno }),
  onExit: (key, pid, status) => say({ exit: key, pid, status }),
}, { binary });
const request = (key, argv) => ({ key, argv, env: ['PATH=/usr/bin:/bin'], stdout: '/dev/null', stderr: '/dev/null', pgid: 0 });
if (mode === 'orphans') {
  for (let k = 1; k <= 3; k++) spawner.spawn(request(k, ['sh', '-c', 'sleep 100 & sleep 100']));
  setInterval(() => {}, 1000);
} else if (mode === 'idle') {
  spawner.spawn(request(1, ['/bin/true']));
} else if (mode === 'pending') {
  spawner.spawn(request(1, ['sleep', '1']));
}
`,
    );
  });

  afterAll(() => removeDir(dir));

  it('leaves no process behind when its Node parent is killed with SIGKILL', async () => {
    const child = execa(process.execPath, [script, 'orphans', LAUNCHER_BINARY], { buffer: false, reject: false });
    const pids: number[] = [];
    let text = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        for (const line of text.split('\n')) {
          if (!line) continue;
          const msg = JSON.parse(line) as { spawn?: number; pid?: number };
          if (msg.spawn !== undefined && !pids.includes(msg.pid!)) pids.push(msg.pid!);
        }
        if (pids.length === 3) resolve();
      });
      setTimeout(() => reject(new Error(`no spawns from the child: ${text}`)), 10_000);
    });
    for (const pid of pids) expect(await eventually(() => groupMembers(pid).length >= 2)).toBe(true);
    const launchers = launcherChildren(child.pid!);
    expect(launchers.length).toBe(1);

    child.kill('SIGKILL');
    await child;
    for (const pid of pids) expect(await eventually(() => groupMembers(pid).length === 0)).toBe(true);
    expect(await eventually(() => !alive(launchers[0]!))).toBe(true);
  });

  it('does not keep Node alive when idle, without close()', async () => {
    const t0 = Date.now();
    const r = await execa(process.execPath, [script, 'idle', LAUNCHER_BINARY], { timeout: 15_000, reject: false });
    expect(r.timedOut).toBe(false);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('"exit":1');
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('keeps Node alive while a process is running', async () => {
    const t0 = Date.now();
    const r = await execa(process.execPath, [script, 'pending', LAUNCHER_BINARY], { timeout: 15_000, reject: false });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('"exit":1,');
    expect(r.stdout).toContain('"status":0');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
  });

  it('kills the escaped descendants of its jobs (they are reparented to it) on close()', async () => {
    const h = new Harness((l) => new LauncherSpawner(l, { binary: LAUNCHER_BINARY }));
    const pidfile = join(dir, 'daemon.pid');
    const st = h.start({ argv: ['sh', '-c', `setsid sleep 100 & echo $! > ${pidfile}; sleep 100`] });
    const leader = await st.spawned;
    expect(await eventually(() => readPidFile(pidfile) !== undefined)).toBe(true);
    const daemon = readPidFile(pidfile)!;
    expect(await eventually(() => alive(daemon))).toBe(true);
    // It leaves the job's group once setsid(1) has run: $! is known before that (a race under load).
    expect(await eventually(() => !groupMembers(leader).includes(daemon), 20_000)).toBe(true);
    await h.spawner.close();
    expect((await st.done).kind).toBe('exit');
    expect(await eventually(() => !alive(daemon), 20_000)).toBe(true);
    expect(h.problems).toEqual([]);
  });

  it('on SIGTERM the launcher kills its jobs, reports their exits and exits', async () => {
    const h = new Harness((l) => new LauncherSpawner(l, { binary: LAUNCHER_BINARY }));
    const st = h.start({ argv: ['sleep', '100'] });
    const pid = await st.spawned;
    const launcher = parentOf(pid);
    expect(launcherChildren(process.pid)).toContain(launcher);
    process.kill(launcher, 'SIGTERM');
    expect(await st.done).toEqual({ kind: 'exit', pid, status: 9 });
    expect(await eventually(() => !alive(launcher))).toBe(true);
    // The next spawn starts a new launcher.
    const again = await h.run({ argv: ['true'] });
    expect(again).toMatchObject({ kind: 'exit', status: 0 });
    await h.spawner.close();
    expect(h.problems).toEqual([]);
  });

  it('if the launcher itself is killed, kills its jobs and reports them killed, with a warning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const h = new Harness((l) => new LauncherSpawner(l, { binary: LAUNCHER_BINARY }));
      const st = h.start({ argv: ['sh', '-c', 'sleep 100 & sleep 100'] });
      const pid = await st.spawned;
      expect(await eventually(() => groupMembers(pid).length >= 2)).toBe(true);
      const launcher = parentOf(pid);
      expect(launcherChildren(process.pid)).toContain(launcher);
      process.kill(launcher, 'SIGKILL');
      expect(await st.done).toEqual({ kind: 'exit', pid, status: 9 });
      expect(await eventually(() => groupMembers(pid).length === 0)).toBe(true);
      expect(await eventually(() => warnings.some((w) => w.includes('died')))).toBe(true);
      expect((await h.run({ argv: ['true'] })).kind).toBe('exit');
      await h.spawner.close();
      expect(h.problems).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('reports ELAUNCHER when the binary cannot be started', async () => {
    const h = new Harness((l) => new LauncherSpawner(l, { binary: join(dir, 'no-such-launcher') }));
    const o = await h.run({ argv: ['true'] });
    expect(o).toMatchObject({ kind: 'error', errno: 'ELAUNCHER' });
    await h.spawner.close();
  });
});

describe('spawner selection', () => {
  it('resolves names and passes factories through', () => {
    const f = resolveSpawner('execa');
    expect(f({ onSpawn() {}, onSpawnError() {}, onExit() {} }).name).toBe('execa');
    expect(resolveSpawner(f)).toBe(f);
    const auto = resolveSpawner('auto')({ onSpawn() {}, onSpawnError() {}, onExit() {} });
    expect(auto.name).toBe(LauncherSpawner.available() ? 'launcher' : 'execa');
    expect(() => resolveSpawner('nope' as 'auto')).toThrow(/expected/);
  });
});
