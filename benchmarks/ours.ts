/**
 * Our rows of the real-process benchmark: the same N × `/bin/true` at concurrency C, through the
 * reactor (submitMany) and through the executor (submit + wait), on the local backend.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JobExecutor, Jobspec, LocalBackend, Reactor, wait } from '../src/index.js';
import type { PeerResult } from './peers.js';

/** What to run. */
export interface OursOptions {
  readonly jobs: number;
  readonly concurrency: number;
  /** Absolute path of the program. */
  readonly command: string;
  /**
   * Where stdout/stderr go: `devnull` (as the peers do), `files` (our default: one .out/.err per
   * job, made once written) or `files-eager` (the same files, made before each job starts: `lazyOutput: false`).
   */
  readonly output: 'devnull' | 'files' | 'files-eager';
  /** `launcher` (default) or `execa`. */
  readonly spawner?: 'launcher' | 'execa';
}

function specFor(o: OursOptions): Jobspec {
  const environment = { PATH: '/usr/bin:/bin' };
  return o.output === 'devnull'
    ? Jobspec.fromCommand([o.command], { environment, output: '/dev/null', error: '/dev/null' })
    : Jobspec.fromCommand([o.command], { environment });
}

async function timed(name: string, o: OursOptions, run: (backend: LocalBackend) => Promise<void>): Promise<PeerResult> {
  const logDir = mkdtempSync(path.join(tmpdir(), 'jobf-bench-'));
  const backend = new LocalBackend({ maxCores: o.concurrency, logDir, spawner: o.spawner ?? 'launcher', lazyOutput: o.output !== 'files-eager' });
  try {
    const t0 = performance.now();
    await run(backend);
    const seconds = (performance.now() - t0) / 1000;
    return { name, jobs: o.jobs, seconds, jobsPerSec: o.jobs / seconds };
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
}

/** How a row names its output (rows naming `log files` are compared with Python's log-files row). */
function outputLabel(o: OursOptions): string {
  return o.output === 'devnull' ? '/dev/null' : o.output === 'files' ? 'log files' : 'log files made at start';
}

/** The reactor: one `submitMany`, then `run()`. */
export function runOurReactor(o: OursOptions): Promise<PeerResult> {
  return timed(`jobfutures reactor (${outputLabel(o)})`, o, async (backend) => {
    const reactor = new Reactor({ backend });
    reactor.submitMany(specFor(o), o.jobs);
    await reactor.run();
    await reactor.close();
  });
}

/** The executor: one future per job, then `wait()`. */
export function runOurExecutor(o: OursOptions): Promise<PeerResult> {
  return timed(`jobfutures executor (${outputLabel(o)})`, o, async (backend) => {
    const executor = new JobExecutor({ backend });
    const spec = specFor(o);
    const futures = Array.from({ length: o.jobs }, () => executor.submit(spec));
    const { done } = await wait(futures);
    if (done.size !== o.jobs) throw new Error('not every job finished');
    if (futures.some((f) => f.peek()?.result !== 'COMPLETED')) throw new Error('a job failed');
    await executor.shutdown();
  });
}
