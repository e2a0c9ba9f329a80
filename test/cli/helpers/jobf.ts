/**
 * Runs the real `jobf` bin (compiled by build.ts) in a child process, and helpers to look at and
 * play the executor's part on the store it writes.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { execa } from 'execa';

import { JobID } from '../../../src/ids/index.js';
import { JobStore } from '../../../src/store/index.js';
import { buildForTests } from './build.js';

/** What one `jobf` run did. */
export interface JobfResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link jobf}. */
export interface JobfOptions {
  /** Working directory (where `./jobs.db` is). */
  readonly cwd: string;
  /** Extra environment variables. `JOBF_DB` is unset unless given here. */
  readonly env?: Record<string, string>;
}

let bin: string | undefined;

/** Builds the bin (once per test file); call in `beforeAll`. */
export async function prepareBin(): Promise<void> {
  bin = join(await buildForTests(), 'src/cli/main.js');
}

/** Runs `jobf ...args`. */
export async function jobf(args: readonly string[], opts: JobfOptions): Promise<JobfResult> {
  if (bin === undefined) throw new Error('call prepareBin() in beforeAll first');
  const env: Record<string, string | undefined> = { ...process.env, JOBF_DB: undefined, JOBF_DEBUG: '1', ...opts.env };
  const r = await execa('node', [bin, ...args], { cwd: opts.cwd, env, extendEnv: false, reject: false, stdin: 'ignore', stripFinalNewline: false });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** Starts `jobf ...args` without waiting (for --follow). */
export function jobfProcess(args: readonly string[], opts: JobfOptions): ReturnType<typeof execa> {
  if (bin === undefined) throw new Error('call prepareBin() in beforeAll first');
  const env: Record<string, string | undefined> = { ...process.env, JOBF_DB: undefined, ...opts.env };
  return execa('node', [bin, ...args], { cwd: opts.cwd, env, extendEnv: false, reject: false, stdin: 'ignore', stripFinalNewline: false });
}

/** Parses the output of a successful `jobf submit`: one id per line. */
export function ids(r: JobfResult): JobID[] {
  if (r.exitCode !== 0) throw new Error(`jobf failed (${r.exitCode}): ${r.stderr}`);
  return r.stdout.trim().split('\n').map((l) => JobID.parse(l));
}

/** Everything in a store, for "nothing was written" checks; `null` if the file does not exist. */
export function dump(dbPath: string): unknown {
  if (!existsSync(dbPath)) return null;
  const store = JobStore.open(dbPath, { readonly: true });
  try {
    return store.snapshot(() =>
      store.list().map((r) => ({ ...r, jobid: r.jobid.dec, events: store.events(r.jobid), deps: r.dependencies.map((d) => d.jobid.dec) })),
    );
  } finally {
    store.close();
  }
}

/** Plays the executor: runs a stored job through its events to a finish with `status`. */
export function finishJob(dbPath: string, id: JobID, status: number): void {
  const store = JobStore.open(dbPath);
  try {
    const t = Date.now() / 1000;
    store.appendEvents(['validate', 'depend', 'priority', 'alloc', 'start'].map((name) => ({ jobid: id, name, timestamp: t })));
    store.appendEvent(id, 'finish', t, { status });
    store.appendEvents(['release', 'free', 'clean'].map((name) => ({ jobid: id, name, timestamp: t })));
  } finally {
    store.close();
  }
}
