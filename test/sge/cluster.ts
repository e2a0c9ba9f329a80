/**
 * Whether a Grid Engine cell is reachable, `describeSge` (a `describe` that skips with one loud
 * line when none is, and fails instead under CI), and helpers that submit a script and wait for
 * the job to end. Start the dev cluster with `scripts/sge/start-dev-cluster.sh`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { parseQacct, parseQsubTerse, type AccountingRecord } from '../../src/backends/sge/parse.js';
import { engineLock } from './cell-lock.js';

/**
 * The dev cell's cross-file lock: files that run jobs share it (`describeSge` does), the test that
 * restarts qmaster takes it exclusively (`sgeCellLock.exclusive(...)`).
 */
export const sgeCellLock = engineLock('sge');

const run = promisify(execFile);
let cached: Promise<boolean> | undefined;

/** Whether `qstat -f` answers and lists a queue instance. Cached per process. */
export function sgeAvailable(): Promise<boolean> {
  cached ??= run('qstat', ['-f'], { timeout: 20_000 }).then(
    (r) => /@/.test(r.stdout),
    () => false,
  );
  return cached;
}

/**
 * `describe` when Grid Engine is reachable; otherwise one loud skip line (a failure under CI).
 * Waits first while another test file holds the cell exclusively (qmaster may be restarting),
 * and shares the cell for the whole describe.
 */
export async function describeSge(name: string, body: () => void): Promise<void> {
  await sgeCellLock.settled();
  if (await sgeAvailable()) {
    describe(name, () => {
      let release: (() => void) | undefined;
      beforeAll(async () => {
        release = await sgeCellLock.share();
      }, 320_000);
      afterAll(() => release?.());
      body();
    });
    return;
  }
  if (process.env.CI) {
    describe(name, () => it('needs Grid Engine (scripts/sge/start-dev-cluster.sh)', () => {
      throw new Error('no Grid Engine reachable (qstat -f failed) and CI is set');
    }));
    return;
  }
  console.warn(`\n!!! SKIPPED "${name}": no Grid Engine reachable (start one with scripts/sge/start-dev-cluster.sh)\n`);
  describe.skip(name, body);
}

/** Submits a script file with `qsub -terse`; resolves with the job id. */
export async function qsub(scriptFile: string, args: readonly string[] = ['-terse']): Promise<string> {
  const r = await run('qsub', [...args, scriptFile]);
  const id = parseQsubTerse(r.stdout)?.jobId;
  if (id === undefined) throw new Error(`qsub printed ${JSON.stringify(r.stdout)}`);
  return id;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The state letters of a job (any of its tasks), or `undefined` once qstat no longer lists it. */
export async function qstatState(jobId: string): Promise<string[] | undefined> {
  const r = await run('qstat', ['-u', '*']).catch(() => ({ stdout: '' }));
  const states = r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[0] === jobId)
    .map((f) => f[4]!);
  return states.length > 0 ? states : undefined;
}

/**
 * Waits until the job left qstat, then for its accounting records (qacct lags by up to ~1 s).
 * Rejects if it is still listed after `timeoutMs`, or sits in an error (`E`) or requeued (`R`)
 * state, which would otherwise never end.
 */
export async function waitEnded(jobId: string, timeoutMs = 60_000, expectedRecords = 1): Promise<AccountingRecord[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await qstatState(jobId);
    if (states === undefined) break;
    if (states.some((s) => /[ER]/.test(s))) throw new Error(`job ${jobId} is in state ${states.join(',')}`);
    if (Date.now() > deadline) throw new Error(`job ${jobId} still listed (${states.join(',')}) after ${timeoutMs} ms`);
    await sleep(200);
  }
  for (;;) {
    const r = await run('qacct', ['-j', jobId]).catch(() => ({ stdout: '' }));
    const recs = parseQacct(r.stdout);
    if (recs.length >= expectedRecords) return recs;
    if (Date.now() > deadline) throw new Error(`no accounting record of job ${jobId} after ${timeoutMs} ms`);
    await sleep(200);
  }
}

/** Runs a Grid Engine client; resolves with stdout. */
export async function sge(tool: string, args: readonly string[]): Promise<string> {
  return (await run(tool, [...args])).stdout;
}
