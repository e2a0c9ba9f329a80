/**
 * Spawn throughput of jobfutures' spawners and of the tools people would otherwise use, each
 * running the same command `jobs` times with `concurrency` processes at a time:
 *
 * - `xargs -P`          `seq N | xargs -P C -n 1 CMD` (one process per job)
 * - `parallel -j`       GNU parallel, `seq N | parallel -j C CMD` (installed with apt-get if missing and possible)
 * - `p-queue+execa`     the naive Node loop: `new PQueue({concurrency})`, `queue.add(() => execa(CMD))`,
 *                       execa defaults, in a fresh node process
 * - `python`            `ThreadPoolExecutor(max_workers=C)` + `subprocess.run([CMD])`, in python3
 * - `python-logs`       the same, each job's stdout and stderr in files of its own (`<i>.out`,
 *                       `<i>.err` in a temp folder), as our default output does
 * - `c-loop`            the ceiling: a small C program (built here with `cc -O2`) that `vfork`s and
 *                       `execve`s CMD, keeping C children running, `waitpid(-1)` for each exit
 * - `spawner-launcher`  our launcher spawner driven directly, in this process
 * - `spawner-execa`     our execa spawner driven directly, in this process
 *
 * Times: wall clock around the whole tool for xargs and parallel (their startup is part of their
 * cost: ~1 ms and ~0.2 s); measured inside the process, after startup, for the Node, Python and
 * C loops; from the first spawn (including starting the launcher) to the last exit for our spawners.
 * Our spawners send output to /dev/null; the peers inherit or ignore it (nothing is written), except
 * the two "(log files)" rows, which write two files per job and are compared with each other.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { execa } from 'execa';
import { ExecaSpawner } from '../src/backends/local/execa-spawner.js';
import { runOurExecutor, runOurReactor } from './ours.js';
import { LauncherSpawner } from '../src/backends/local/launcher-spawner.js';
import type { SpawnRequest, Spawner, SpawnerFactory, SpawnerListener } from '../src/backends/local/spawner.js';

/** One peer's run. */
export interface PeerResult {
  /** Peer name, e.g. `xargs -P 8`. */
  name: string;
  /** Jobs run. */
  jobs: number;
  /** Elapsed seconds (0 when skipped). */
  seconds: number;
  /** jobs / seconds (0 when skipped). */
  jobsPerSec: number;
  /** Why the peer did not run (tool missing, ...). */
  skipped?: string;
}

/** Options of {@link runPeers}. */
export interface PeerOptions {
  /** Jobs per peer. */
  jobs: number;
  /** Processes at a time. */
  concurrency: number;
  /** Absolute path of the program every job runs, without arguments. Default `/bin/true`. */
  command?: string;
  /** Run only the peers whose id is listed (see {@link PEER_IDS}). Default: all. */
  only?: readonly PeerId[];
  /** Try `apt-get install -y parallel` when GNU parallel is missing (root only). Default true. */
  installMissing?: boolean;
}

/** Stable ids of the peers, in the order they run. */
export const PEER_IDS = ['xargs', 'parallel', 'pqueue-execa', 'python', 'python-logs', 'c-loop', 'c-threads', 'spawner-launcher', 'spawner-execa', 'reactor', 'executor', 'executor-logs', 'executor-logs-eager'] as const;

/** A peer id. */
export type PeerId = (typeof PEER_IDS)[number];

interface Resolved {
  jobs: number;
  concurrency: number;
  command: string;
  installMissing: boolean;
}

function seq(n: number): string {
  let s = '';
  for (let i = 1; i <= n; i++) s += `${i}\n`;
  return s;
}

function result(name: string, jobs: number, seconds: number): PeerResult {
  return { name, jobs, seconds, jobsPerSec: jobs / seconds };
}

function skipped(name: string, jobs: number, reason: string): PeerResult {
  console.warn(`peers: SKIPPED ${name}: ${reason}`);
  return { name, jobs, seconds: 0, jobsPerSec: 0, skipped: reason };
}

function hasTool(tool: string, args: string[] = ['--version']): string | undefined {
  const r = spawnSync(tool, args, { encoding: 'utf8' });
  return r.error === undefined ? `${r.stdout}${r.stderr}` : undefined;
}

async function timeWall(run: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await run();
  return (performance.now() - t0) / 1000;
}

/** `seq N | xargs -P C -n 1 CMD`. */
export async function runXargs(o: Resolved): Promise<PeerResult> {
  const name = `xargs -P ${o.concurrency}`;
  if (hasTool('xargs') === undefined) return skipped(name, o.jobs, 'xargs not found');
  const input = seq(o.jobs);
  const seconds = await timeWall(() =>
    execa('xargs', ['-P', String(o.concurrency), '-n', '1', o.command], { input, stdout: 'ignore' }),
  );
  return result(name, o.jobs, seconds);
}

/** GNU parallel is there, or can be installed; undefined, or why not. */
function ensureGnuParallel(install: boolean): string | undefined {
  const isGnu = (): boolean | undefined => {
    const v = hasTool('parallel');
    return v === undefined ? undefined : v.includes('GNU parallel');
  };
  const found = isGnu();
  if (found === true) return undefined;
  if (found === false) return "the 'parallel' on PATH is not GNU parallel (moreutils?)";
  if (!install) return 'GNU parallel not installed (apt-get install -y parallel)';
  if (process.getuid?.() !== 0 || hasTool('apt-get', ['--version']) === undefined) {
    return 'GNU parallel not installed, and apt-get is unavailable or we are not root (apt-get install -y parallel)';
  }
  console.warn('peers: GNU parallel is missing; running apt-get install -y parallel');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const tryInstall = (): boolean => spawnSync('apt-get', ['install', '-y', 'parallel'], { stdio: 'ignore', env }).status === 0;
  if (!tryInstall()) {
    spawnSync('apt-get', ['update'], { stdio: 'ignore', env });
    if (!tryInstall()) return 'GNU parallel not installed and apt-get install -y parallel failed';
  }
  return isGnu() === true ? undefined : 'GNU parallel still not found after apt-get install';
}

/** `seq N | parallel -j C CMD` (GNU parallel). */
export async function runParallel(o: Resolved): Promise<PeerResult> {
  const name = `parallel -j ${o.concurrency}`;
  const missing = ensureGnuParallel(o.installMissing);
  if (missing !== undefined) return skipped(name, o.jobs, missing);
  const input = seq(o.jobs);
  const seconds = await timeWall(() =>
    execa('parallel', ['--will-cite', '-j', String(o.concurrency), o.command], { input, stdout: 'ignore' }),
  );
  return result(name, o.jobs, seconds);
}

const PQUEUE_SCRIPT = `
const [pqueueUrl, execaUrl, n, c, cmd] = process.argv.slice(1);
const { default: PQueue } = await import(pqueueUrl);
const { execa } = await import(execaUrl);
const queue = new PQueue({ concurrency: Number(c) });
const t0 = performance.now();
for (let i = 0; i < Number(n); i++) queue.add(() => execa(cmd));
await queue.onIdle();
console.log(JSON.stringify({ seconds: (performance.now() - t0) / 1000 }));
`;

/** The naive Node loop: p-queue + execa with default options, in a fresh node process. */
export async function runPQueueExeca(o: Resolved): Promise<PeerResult> {
  const name = 'p-queue+execa (defaults)';
  let pqueueUrl: string;
  let execaUrl: string;
  try {
    pqueueUrl = import.meta.resolve('p-queue');
    execaUrl = import.meta.resolve('execa');
  } catch (error) {
    return skipped(name, o.jobs, `cannot resolve p-queue/execa (${(error as Error).message}); p-queue is a dev dependency`);
  }
  const r = await execa(
    process.execPath,
    ['--input-type=module', '-e', PQUEUE_SCRIPT, pqueueUrl, execaUrl, String(o.jobs), String(o.concurrency), o.command],
    { stderr: 'inherit' },
  );
  const { seconds } = JSON.parse(r.stdout) as { seconds: number };
  return result(name, o.jobs, seconds);
}

const PYTHON_SCRIPT = `
import json, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
n, c, cmd = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
logs = sys.argv[4] if len(sys.argv) > 4 else None
def job(i):
    if logs is None:
        return subprocess.run([cmd])
    with open(f"{logs}/{i}.out", "wb") as out, open(f"{logs}/{i}.err", "wb") as err:
        return subprocess.run([cmd], stdout=out, stderr=err)
t0 = time.perf_counter()
with ThreadPoolExecutor(max_workers=c) as ex:
    for f in [ex.submit(job, i) for i in range(n)]:
        f.result()
print(json.dumps({"seconds": time.perf_counter() - t0}))
`;

/** Python: ThreadPoolExecutor(max_workers=C) + subprocess.run([CMD]), output inherited or, with `logs`, to two files per job. */
export async function runPython(o: Resolved, logs = false): Promise<PeerResult> {
  const name = `python ThreadPoolExecutor(${o.concurrency})${logs ? ' (log files)' : ''}`;
  const version = hasTool('python3');
  if (version === undefined) return skipped(name, o.jobs, 'python3 not found');
  const logDir = logs ? mkdtempSync(path.join(tmpdir(), 'jobf-bench-py-')) : undefined;
  try {
    const args = ['-c', PYTHON_SCRIPT, String(o.jobs), String(o.concurrency), o.command, ...(logDir === undefined ? [] : [logDir])];
    const r = await execa('python3', args, { stderr: 'inherit' });
    const { seconds } = JSON.parse(r.stdout) as { seconds: number };
    return result(name, o.jobs, seconds);
  } finally {
    if (logDir !== undefined) rmSync(logDir, { recursive: true, force: true });
  }
}

/** The ceiling: the least a program can do to run CMD N times, C at a time (vfork + execve + waitpid). */
const C_LOOP_SOURCE = String.raw`
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
extern char **environ;
int main(int argc, char **argv) {
  if (argc != 4) { fprintf(stderr, "usage: c-loop N C CMD\n"); return 2; }
  long n = atol(argv[1]), started = 0, done = 0;
  int c = atoi(argv[2]), running = 0;
  char *args[] = { argv[3], NULL };
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  while (done < n) {
    while (running < c && started < n) {
      pid_t pid = vfork();
      if (pid == 0) { execve(args[0], args, environ); _exit(127); }
      if (pid < 0) { perror("vfork"); return 1; }
      started++;
      running++;
    }
    int status;
    if (waitpid(-1, &status, 0) < 0) { perror("waitpid"); return 1; }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) { fprintf(stderr, "c-loop: a child ended with wait status %d\n", status); return 1; }
    running--;
    done++;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("{\"seconds\": %.6f}\n", (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
  return 0;
}
`;

/**
 * The machine's practical ceiling: 8 threads that each `vfork` + `execve` CMD and `waitpid` any
 * child, C children at most in all (`vfork` holds only the calling thread, so exec's work of up to
 * 8 children overlaps, as in our launcher; the single-threaded loop above is held by each one).
 */
const C_THREADS_SOURCE = String.raw`
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
extern char **environ;
static long n; static int c; static char *args[2];
static atomic_long started, done; static atomic_int running, failed;
static void *work(void *arg) {
  (void)arg;
  while (atomic_load(&done) < n && !atomic_load(&failed)) {
    if (atomic_fetch_add(&running, 1) < c && atomic_fetch_add(&started, 1) < n) {
      pid_t pid = vfork();
      if (pid == 0) { execve(args[0], args, environ); _exit(127); }
      if (pid < 0) { perror("vfork"); atomic_store(&failed, 1); }
      continue;
    }
    atomic_fetch_sub(&running, 1);
    int status;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) continue; /* another thread reaped the last one */
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) { fprintf(stderr, "c-threads: a child ended with wait status %d\n", status); atomic_store(&failed, 1); }
    atomic_fetch_sub(&running, 1);
    atomic_fetch_add(&done, 1);
  }
  return NULL;
}
int main(int argc, char **argv) {
  if (argc != 5) { fprintf(stderr, "usage: c-threads N C CMD THREADS\n"); return 2; }
  n = atol(argv[1]); c = atoi(argv[2]); args[0] = argv[3];
  int threads = atoi(argv[4]);
  pthread_t tids[64];
  if (threads < 1 || threads > 64) return 2;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < threads; i++) pthread_create(&tids[i], NULL, work, NULL);
  for (int i = 0; i < threads; i++) pthread_join(tids[i], NULL);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  if (failed) return 1;
  printf("{\"seconds\": %.6f}\n", (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
  return 0;
}
`;

/** Builds `source` with `cc` in a temp folder and runs it with `args`; it prints `{"seconds": S}`. */
async function runC(name: string, o: Resolved, source: string, args: string[], flags: string[] = []): Promise<PeerResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'jobf-bench-c-'));
  try {
    writeFileSync(path.join(dir, 'peer.c'), source);
    const cc = spawnSync('cc', ['-O2', ...flags, '-o', path.join(dir, 'peer'), path.join(dir, 'peer.c')], { encoding: 'utf8' });
    if (cc.error !== undefined || cc.status !== 0) return skipped(name, o.jobs, `cannot build ${name} with cc: ${cc.error?.message ?? cc.stderr.trim()}`);
    const r = await execa(path.join(dir, 'peer'), args, { stderr: 'inherit' });
    const { seconds } = JSON.parse(r.stdout) as { seconds: number };
    return result(name, o.jobs, seconds);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The C loop of vfork + execve (see {@link C_LOOP_SOURCE}). */
export function runCLoop(o: Resolved): Promise<PeerResult> {
  return runC(`C loop vfork+exec (${o.concurrency})`, o, C_LOOP_SOURCE, [String(o.jobs), String(o.concurrency), o.command]);
}

/** The C threads of vfork + execve (see {@link C_THREADS_SOURCE}), 8 threads. */
export function runCThreads(o: Resolved): Promise<PeerResult> {
  return runC(`C threads vfork+exec (8 threads, ${o.concurrency})`, o, C_THREADS_SOURCE, [String(o.jobs), String(o.concurrency), o.command, '8'], ['-pthread']);
}

/** The environment our spawners pass: this process's, as `KEY=VALUE` strings (one array, reused). */
function currentEnv(): string[] {
  return Object.entries(process.env)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${k}=${v}`);
}

/**
 * Drives a spawner directly: keeps `concurrency` processes running until `jobs` have exited.
 * Resolves with the seconds from the first spawn to the last exit; rejects on a start failure.
 */
export function driveSpawner(factory: SpawnerFactory, o: Resolved): Promise<number> {
  const env = currentEnv();
  return new Promise<number>((resolve, reject) => {
    let next = 0;
    let finished = 0;
    const t0 = performance.now();
    const request = (key: number): SpawnRequest => ({
      key,
      argv: [o.command],
      env,
      stdout: '/dev/null',
      stderr: '/dev/null',
      pgid: 0,
    });
    const done = (): void => {
      finished++;
      if (next < o.jobs) spawner.spawn(request(next++));
      else if (finished === o.jobs) {
        const seconds = (performance.now() - t0) / 1000;
        void spawner.close().then(() => resolve(seconds), reject);
      }
    };
    const listener: SpawnerListener = {
      onSpawn() {},
      onExit(_key, _pid, status) {
        if (status !== 0) {
          reject(new Error(`${o.command} ended with wait status ${status}`));
          return;
        }
        done();
      },
      onSpawnError(_key, errno, message) {
        reject(new Error(`spawn failed: ${errno}: ${message}`));
      },
    };
    // The listener's callbacks run only after spawn() calls below, once `spawner` is set.
    const spawner: Spawner = factory(listener);
    while (next < Math.min(o.concurrency, o.jobs)) spawner.spawn(request(next++));
  });
}

/** Our launcher spawner, driven directly. */
export async function runLauncherSpawner(o: Resolved): Promise<PeerResult> {
  const name = 'spawner-launcher';
  if (!LauncherSpawner.available()) {
    return skipped(name, o.jobs, 'launcher binary not built (node scripts/build-native.mjs; needs a C compiler)');
  }
  return result(name, o.jobs, await driveSpawner((l) => new LauncherSpawner(l), o));
}

/** Our execa spawner, driven directly. */
export async function runExecaSpawner(o: Resolved): Promise<PeerResult> {
  return result('spawner-execa', o.jobs, await driveSpawner((l) => new ExecaSpawner(l), o));
}

const RUNNERS: Record<PeerId, (o: Resolved) => Promise<PeerResult>> = {
  xargs: runXargs,
  parallel: runParallel,
  'pqueue-execa': runPQueueExeca,
  python: (o) => runPython(o),
  'python-logs': (o) => runPython(o, true),
  'c-loop': runCLoop,
  'c-threads': runCThreads,
  'spawner-launcher': runLauncherSpawner,
  'spawner-execa': runExecaSpawner,
  reactor: (o) => runOurReactor({ ...o, output: 'devnull' }),
  executor: (o) => runOurExecutor({ ...o, output: 'devnull' }),
  'executor-logs': (o) => runOurExecutor({ ...o, output: 'files' }),
  'executor-logs-eager': (o) => runOurExecutor({ ...o, output: 'files-eager' }),
};

/**
 * Runs every peer (or those in `only`) one after the other, each `jobs` times `command` at
 * `concurrency`. A peer whose tool is missing is reported with `skipped` (and a warning on stderr).
 */
export async function runPeers(opts: PeerOptions): Promise<PeerResult[]> {
  const o: Resolved = {
    jobs: opts.jobs,
    concurrency: opts.concurrency,
    command: opts.command ?? '/bin/true',
    installMissing: opts.installMissing ?? true,
  };
  if (!o.command.startsWith('/')) {
    o.command = execFileSync('sh', ['-c', 'command -v "$1"', 'sh', o.command], { encoding: 'utf8' }).trim();
  }
  const results: PeerResult[] = [];
  for (const id of PEER_IDS) {
    if (opts.only !== undefined && !opts.only.includes(id)) continue;
    results.push(await RUNNERS[id](o));
  }
  return results;
}
