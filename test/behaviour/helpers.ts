import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A fresh temp folder. */
export function tempDir(prefix = 'jobf-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** Polls `cond` every 20 ms until it is true; fails after `timeoutMs`. */
export async function waitFor(cond: () => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Whether a process exists (and is not a zombie). */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Pids of live processes (not this one) whose `/proc/PID` folder satisfies `match`. */
export function processesWhere(match: (procDir: string) => boolean): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    try {
      if (match(`/proc/${name}`) && processAlive(pid)) out.push(pid);
    } catch {
      // gone or not ours
    }
  }
  return out;
}

/** Pids of live processes whose environment contains `KEY=VALUE`. */
export function processesWithEnv(key: string, value: string): number[] {
  const needle = `${key}=${value}\0`;
  return processesWhere((dir) => readFileSync(`${dir}/environ`, 'latin1').includes(needle));
}

/** Pids of live processes whose argv contains `word`. */
export function processesWith(word: string): number[] {
  return processesWhere((dir) => readFileSync(`${dir}/cmdline`, 'utf8').split('\0').includes(word));
}

/** Pids of live processes whose argv is exactly `argv`. */
export function processesRunning(argv: readonly string[]): number[] {
  const want = argv.join('\0') + '\0';
  return processesWhere((dir) => readFileSync(`${dir}/cmdline`, 'utf8') === want);
}

/** A shell command that waits until `file` exists (the test opens the gate by creating it). */
export function gated(file: string, then = 'true'): string[] {
  return ['sh', '-c', `while [ ! -e "$1" ]; do sleep 0.02; done; ${then}`, 'gate', file];
}

/** Reads the integers in a file (one per line), [] if missing. */
export function readPids(file: string): number[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(Number);
}
