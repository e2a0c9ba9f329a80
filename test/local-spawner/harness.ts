/**
 * Test helpers for spawners: a listener that turns reports into promises and checks their order,
 * temp folders, and process-table probes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processAlive } from '../behaviour/helpers.js';
import type { SpawnRequest, Spawner, SpawnerFactory, SpawnerListener } from '../../src/backends/local/spawner.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The launcher under test; `JOBF_TEST_LAUNCHER` may point at another build (e.g. with sanitizers). */
export const LAUNCHER_BINARY = process.env.JOBF_TEST_LAUNCHER ?? join(ROOT, 'native', 'build', 'jobf-launcher');

/** Builds the launcher if needed (a no-op when up to date; skips quietly without a compiler). */
export function buildLauncher(): void {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-native.mjs')], { stdio: 'inherit' });
}

export type Outcome =
  | { readonly kind: 'exit'; readonly pid: number; readonly status: number; readonly handedTo?: number }
  | { readonly kind: 'error'; readonly errno: string; readonly message: string }
  | { readonly kind: 'withdrawn' };

interface Pending {
  resolveSpawned(pid: number): void;
  resolveDone(outcome: Outcome): void;
  spawnedPid?: number;
  /** The start time onSpawn reported. */
  tSpawn?: number;
  finished: boolean;
}

/** A running (or failed) request as seen by the tests. */
export interface Started {
  readonly key: number;
  /** Resolves with the pid on onSpawn; never resolves for a start failure. */
  readonly spawned: Promise<number>;
  /** Resolves on onExit or onSpawnError. */
  readonly done: Promise<Outcome>;
}

export const BASE_ENV: readonly string[] = Object.freeze(['PATH=/usr/local/bin:/usr/bin:/bin', 'LC_ALL=C']);

/** Drives one spawner; fails the test (via `problems`) on any out-of-order or duplicate report. */
export class Harness implements SpawnerListener {
  readonly spawner: Spawner;
  readonly problems: string[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextKey = 1;
  exits = 0;
  /** Every report in arrival order: `spawn <key>`, `exit <key>` (`exit <key> > <heir>` for a hand-off), `error <key>`, `withdrawn <key>`. */
  readonly log: string[] = [];

  constructor(factory: SpawnerFactory) {
    this.spawner = factory(this);
  }

  start(request: Partial<SpawnRequest> & { argv: readonly string[] }): Started {
    const key = request.key ?? this.nextKey++;
    let resolveSpawned!: (pid: number) => void;
    let resolveDone!: (o: Outcome) => void;
    const spawned = new Promise<number>((r) => (resolveSpawned = r));
    const done = new Promise<Outcome>((r) => (resolveDone = r));
    this.pending.set(key, { resolveSpawned, resolveDone, finished: false });
    this.spawner.spawn({
      key,
      env: BASE_ENV,
      stdout: '/dev/null',
      stderr: '/dev/null',
      pgid: 0,
      ...request,
    });
    return { key, spawned, done };
  }

  /** Starts and waits for the outcome. */
  run(request: Partial<SpawnRequest> & { argv: readonly string[] }): Promise<Outcome> {
    return this.start(request).done;
  }

  onSpawn(key: number, pid: number, t: number): void {
    const p = this.pending.get(key);
    // the spawner's own time of the start: a moment ago, never in the future
    if (!(t > Date.now() / 1000 - 60 && t <= Date.now() / 1000 + 0.001)) this.problems.push(`bad start time ${t} for key ${key}`);
    if (!p) return void this.problems.push(`onSpawn for unknown key ${key}`);
    if (p.spawnedPid !== undefined) this.problems.push(`onSpawn twice for key ${key}`);
    if (p.finished) this.problems.push(`onSpawn after the end for key ${key}`);
    if (!(pid > 0)) this.problems.push(`bad pid ${pid} for key ${key}`);
    p.spawnedPid = pid;
    p.tSpawn = t;
    this.log.push(`spawn ${key}`);
    p.resolveSpawned(pid);
  }

  onSpawnError(key: number, errno: string, message: string): void {
    const p = this.pending.get(key);
    if (!p) return void this.problems.push(`onSpawnError for unknown key ${key}`);
    if (p.finished) this.problems.push(`second final report for key ${key}`);
    if (p.spawnedPid !== undefined) this.problems.push(`onSpawnError after onSpawn for key ${key}`);
    p.finished = true;
    this.pending.delete(key);
    this.log.push(`error ${key}`);
    p.resolveDone({ kind: 'error', errno, message });
  }

  onExit(key: number, pid: number, waitstatus: number, t: number, handedTo?: number): void {
    const p = this.pending.get(key);
    if (!p) return void this.problems.push(`onExit for unknown or finished key ${key}`);
    if (!(t >= (p.tSpawn ?? 0) && t <= Date.now() / 1000 + 0.001)) this.problems.push(`bad exit time ${t} for key ${key} (started ${p.tSpawn})`);
    if (p.spawnedPid === undefined) this.problems.push(`onExit before onSpawn for key ${key}`);
    else if (p.spawnedPid !== pid) this.problems.push(`onExit pid ${pid} != spawned pid ${p.spawnedPid}`);
    p.finished = true;
    this.pending.delete(key);
    this.exits++;
    this.log.push(handedTo === undefined ? `exit ${key}` : `exit ${key} > ${handedTo}`);
    if (handedTo !== undefined && !this.pending.has(handedTo)) this.problems.push(`slot of ${key} handed to unknown key ${handedTo}`);
    p.resolveDone({ kind: 'exit', pid, status: waitstatus, ...(handedTo !== undefined && { handedTo }) });
  }

  onWithdrawn(key: number): void {
    const p = this.pending.get(key);
    if (!p) return void this.problems.push(`onWithdrawn for unknown or finished key ${key}`);
    if (p.spawnedPid !== undefined) this.problems.push(`onWithdrawn after onSpawn for key ${key}`);
    p.finished = true;
    this.pending.delete(key);
    this.log.push(`withdrawn ${key}`);
    p.resolveDone({ kind: 'withdrawn' });
  }

  get outstanding(): number {
    return this.pending.size;
  }
}

/** A fresh temp folder, removed by the returned cleanup. */
export function tempDir(prefix = 'jobf-spawner-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function writeExecutable(path: string, text: string, mode = 0o755): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text, { mode });
  return path;
}

export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

/** Live (non-zombie) processes of process group `pgid`, from ps. */
export function groupMembers(pgid: number): number[] {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,pgid=,stat='], { encoding: 'utf8' });
  const pids: number[] = [];
  for (const line of out.split('\n')) {
    const [pid, group, stat] = line.trim().split(/\s+/);
    if (Number(group) === pgid && stat !== undefined && !stat.startsWith('Z')) pids.push(Number(pid));
  }
  return pids;
}

/** Whether a pid names a live (non-zombie) process. */
export const alive = processAlive;

/** Polls `check` until it is true or `ms` passed; returns its last value. */
export async function eventually(check: () => boolean, ms = 5000, every = 25): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (check()) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, every));
  }
}

/** A deterministic pseudo-random generator (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  '', ' ', '"', "'", '\\', '\n', '\r\n', '\t', '-', '--', '-n', '--help', '-e', 'é', '日本語', '🙂', '$HOME',
  '`id`', '$(id)', '%s', '%%', '\\0', '=', '*', '?', ';', '|', '&&', '>', '<', '~', '#', '!', 'ß', '\u00a0', '\u202e',
  'a', 'Z', '0', 'key=value', ' leading', 'trailing ', '\u{10ffff}', '\u0001', '\u007f',
];

/** A random argument: anything but NUL, well-formed Unicode. */
export function randomArg(rand: () => number): string {
  const n = Math.floor(rand() * 6);
  let s = '';
  for (let i = 0; i < n; i++) {
    if (rand() < 0.2) s += String.fromCharCode(1 + Math.floor(rand() * 126));
    else s += PIECES[Math.floor(rand() * PIECES.length)]!;
  }
  return s;
}
