/**
 * Whether a Slurm cluster is reachable, and `describeSlurm`: a `describe` that skips (with one
 * loud line) when none is, except under CI (`process.env.CI` set), where it fails instead.
 *
 * Start the dev cluster with `scripts/slurm/start-dev-cluster.sh`.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, it } from 'vitest';

let cached: Promise<boolean> | undefined;

/** Whether `sinfo` answers (a controller is reachable) and a node is up. Cached per process. */
export function slurmAvailable(): Promise<boolean> {
  cached ??= execa('sinfo', ['-h', '-o', '%T'], { reject: false, timeout: 20_000 }).then(
    (r) => r.exitCode === 0 && /\b(idle|mixed|allocated|completing)/.test(String(r.stdout)),
    () => false,
  );
  return cached;
}

// ------------------------------------------------------------------ cross-file cluster lock
// Test files run in parallel processes. One test stops and restarts slurmctld: it takes the
// cluster exclusively, the others share it (a readers/writer lock made of files).

const LOCK_DIR = '/tmp/jobfutures-slurm-test-locks';
const WRITER = path.join(LOCK_DIR, 'exclusive');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function clearStale(): void {
  if (existsSync(WRITER)) {
    const owners = readdirSync(WRITER).map((n) => Number(n.replace(/^\D+/, '')));
    if (owners.length > 0 && owners.every((pid) => !alive(pid))) rmSync(WRITER, { recursive: true, force: true });
  }
  for (const name of readdirSync(LOCK_DIR)) {
    if (!name.startsWith('shared-')) continue;
    const pid = Number(name.replace(/^\D+/, ''));
    if (Number.isInteger(pid) && pid > 0 && !alive(pid)) rmSync(path.join(LOCK_DIR, name), { recursive: true, force: true });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Takes the cluster shared: waits while a test holds it exclusively. Returns the release
 * function. Use in `beforeAll` of files that run jobs.
 */
export async function shareCluster(timeoutMs = 300_000): Promise<() => void> {
  mkdirSync(LOCK_DIR, { recursive: true });
  const mine = path.join(LOCK_DIR, `shared-${process.pid}`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    writeFileSync(mine, '');
    clearStale();
    if (!existsSync(WRITER)) return () => rmSync(mine, { force: true });
    rmSync(mine, { force: true });
    if (Date.now() > deadline) throw new Error('the Slurm cluster stayed locked by another test file');
    await sleep(200);
  }
}

/** Runs `fn` while no other test file uses the cluster (e.g. to restart slurmctld). */
export async function withExclusiveCluster<T>(fn: () => Promise<T>, timeoutMs = 300_000): Promise<T> {
  mkdirSync(LOCK_DIR, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    clearStale();
    try {
      mkdirSync(WRITER);
      writeFileSync(path.join(WRITER, `pid-${process.pid}`), '');
      break;
    } catch {
      if (Date.now() > deadline) throw new Error('could not lock the Slurm cluster');
      await sleep(200);
    }
  }
  try {
    while (readdirSync(LOCK_DIR).some((n) => n.startsWith('shared-') && n !== `shared-${process.pid}`)) {
      clearStale();
      if (Date.now() > deadline) throw new Error('other Slurm test files kept the cluster busy');
      await sleep(200);
    }
    return await fn();
  } finally {
    rmSync(WRITER, { recursive: true, force: true });
  }
}

// A test that holds the cluster exclusively may have stopped slurmctld: wait for it first.
if (existsSync(LOCK_DIR)) {
  for (let i = 0; i < 1500 && existsSync(WRITER); i++) {
    clearStale();
    await sleep(200);
  }
}
const available = await slurmAvailable();
let warned = false;

/**
 * `describe` for tests that need a real Slurm cluster. Without one: skipped with a single
 * `console.warn` line, or, when `process.env.CI` is set, a failing test that says why.
 */
export const describeSlurm = (name: string, body: () => void): void => {
  if (available) {
    describe(name, body);
    return;
  }
  if (process.env.CI) {
    describe(name, () => {
      it('needs a Slurm cluster', () => {
        throw new Error('no Slurm cluster reachable (sinfo failed or no node up): run scripts/slurm/start-dev-cluster.sh');
      });
    });
    return;
  }
  if (!warned) {
    warned = true;
    // One line per test run, not per file: the first worker of this vitest process says it.
    let first = true;
    try {
      writeFileSync(path.join(tmpdir(), `jobfutures-slurm-skip-${process.ppid}`), '', { flag: 'wx' });
    } catch {
      first = false;
    }
    if (first) console.warn('!!! SKIPPING the Slurm tests: no cluster reachable (sinfo failed); start one with scripts/slurm/start-dev-cluster.sh');
  }
  describe.skip(name, body);
};
