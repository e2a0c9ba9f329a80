/** The runtime pieces of the batch kit: command runner (real processes), slots, retries, grace, outcomes, files, specs. */
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BackgroundWork,
  backoffMs,
  checkBatchSpec,
  clearRunFiles,
  commandStarted,
  MissingGrace,
  Outcome,
  OutcomeTable,
  outputPaths,
  pathTemplates,
  readStatusFile,
  parseStatusFile,
  retry,
  retryFor,
  SchedulerCommandError,
  SchedulerCommands,
  startedPath,
  statusPath,
  SubmitSlots,
  toolEnvironment,
  scriptPath,
} from '../../src/backends/batch/index.js';
import { UnsatisfiableRequestError } from '../../src/core/errors.js';
import { Jobspec } from '../../src/jobspec/index.js';

describe('SchedulerCommands (real processes)', () => {
  it('runs tools through the prefix with exactly the given environment and counts calls', async () => {
    const commands = new SchedulerCommands({ prefix: ['env'], env: { PATH: '/usr/bin:/bin', ONLY: 'this' } });
    const { stdout } = await commands.run('sh', ['-c', 'env | grep -v "^PWD=\\|^SHLVL=\\|^_=" | sort; cat', 'x'], { input: 'in\n' });
    expect(stdout).toBe('ONLY=this\nPATH=/usr/bin:/bin\nin\n');
    await commands.run('true', []);
    await commands.run('true', []);
    expect(commands.counts).toEqual({ sh: 1, true: 2 });
  });

  it('rejects with SchedulerCommandError carrying tool, args, exit code and stderr', async () => {
    const commands = new SchedulerCommands({ env: { PATH: '/usr/bin:/bin' } });
    const err = await commands.run('sh', ['-c', 'echo "qsub: error: no queue" >&2; exit 3']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchedulerCommandError);
    expect(err).toMatchObject({ tool: 'sh', exitCode: 3, stderr: 'qsub: error: no queue', code: 'ERR_SCHEDULER_COMMAND' });
    expect((err as SchedulerCommandError).args).toEqual(['-c', 'echo "qsub: error: no queue" >&2; exit 3']);
    expect((err as Error).message).toBe('sh exited with code 3: qsub: error: no queue');
    const missing = await commands.run('jf-no-such-tool', []).catch((e: unknown) => e);
    expect(missing).toMatchObject({ tool: 'jf-no-such-tool', exitCode: undefined });
    expect((missing as Error).message).toMatch(/^jf-no-such-tool could not be run/);
    const slow = await new SchedulerCommands({ timeoutMs: 100, env: { PATH: '/usr/bin:/bin' } }).run('sleep', ['5']).catch((e: unknown) => e);
    expect((slow as Error).message).toMatch(/^sleep timed out after 100 ms/);
  });

  it('toolEnvironment keeps the basics and what the rule names', () => {
    const env = toolEnvironment({ PATH: '/p', HOME: '/h', SGE_ROOT: '/sge', SGE_CELL: 'default', SLURM_JOB_ID: '1', OTHER: 'x' }, { names: ['SGE_ROOT'], prefixes: ['SGE_C'], set: { SGE_LONG_QNAMES: '-1' } });
    expect(env).toEqual({ PATH: '/p', HOME: '/h', SGE_ROOT: '/sge', SGE_CELL: 'default', SGE_LONG_QNAMES: '-1' });
  });
});

describe('SubmitSlots', () => {
  it('never runs more than the limit at once, and lets everyone through after close', async () => {
    const slots = new SubmitSlots(2);
    let running = 0;
    let peak = 0;
    const gates: (() => void)[] = [];
    const task = () =>
      slots.run(async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise<void>((r) => gates.push(r));
        running--;
      });
    const all = Promise.all([task(), task(), task(), task(), task()]);
    while (gates.length < 2) await new Promise((r) => setImmediate(r));
    expect(running).toBe(2);
    while (gates.length > 0 || running > 0) {
      gates.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    await all;
    expect(peak).toBe(2);
    const closing = new SubmitSlots(1);
    await closing.acquire();
    const waiting = closing.acquire();
    closing.close();
    await waiting; // would hang without close()
    expect(() => new SubmitSlots(0)).toThrow(/positive integer/);
  });
});

describe('retry', () => {
  it('retries while the error may pass, then gives up with the last error', async () => {
    expect([0, 1, 2, 3, 4, 10].map(backoffMs)).toEqual([500, 1000, 2000, 4000, 5000, 5000]);
    let calls = 0;
    const value = await retry(async () => {
      if (++calls < 2) throw new Error('connection refused');
      return 'ok';
    }, (e) => /refused/.test(String(e)));
    expect([value, calls]).toEqual(['ok', 2]);
    calls = 0;
    const err = await retry(async () => {
      calls++;
      throw new Error('invalid partition');
    }, (e) => /refused/.test(String(e))).catch((e: unknown) => e);
    expect([(err as Error).message, calls]).toEqual(['invalid partition', 1]);
    let stopped = false;
    const until = retryFor(60_000, () => true, () => stopped);
    expect(until(new Error())).toBe(true);
    stopped = true;
    expect(until(new Error())).toBe(false);
    expect(retryFor(-1, () => true, () => false)(new Error())).toBe(false);
  });
});

describe('MissingGrace, OutcomeTable, BackgroundWork', () => {
  it('a job is lost only after being missing for the whole grace', () => {
    const grace = new MissingGrace(1000);
    const job = { knownAt: 100, missingSince: undefined as number | undefined };
    expect(MissingGrace.absent(job, 50)).toBe(false); // listed before its id was known
    expect(MissingGrace.absent(job, 150)).toBe(true);
    expect(grace.expired(job, 2000)).toBe(false);
    expect(grace.expired(job, 2999)).toBe(false);
    MissingGrace.seen(job);
    expect(grace.expired(job, 3500)).toBe(false);
    expect(grace.expired(job, 4500)).toBe(true);
  });

  it('outcomes grow with the handles and keep a completed one', () => {
    const t = new OutcomeTable();
    expect(t.get(5000)).toBe(Outcome.UNKNOWN);
    t.set(5000, true);
    t.setFailedUnlessKnown(5000);
    t.setFailedUnlessKnown(7);
    expect([t.get(5000), t.get(7), t.get(8)]).toEqual([Outcome.OK, Outcome.FAILED, Outcome.UNKNOWN]);
  });

  it('runs one chain in order, even after a failure, and drains', async () => {
    const work = new BackgroundWork();
    const chain = { control: Promise.resolve() };
    const order: string[] = [];
    work.serial(chain, async () => {
      await new Promise((r) => setTimeout(r, 20));
      order.push('hold');
      throw new Error('boom');
    });
    work.serial(chain, async () => void order.push('release'));
    await work.drain();
    expect(order).toEqual(['hold', 'release']);
  });
});

describe('job files and status files', () => {
  it('names files after the F58 id and reads them back', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jf-kit-'));
    expect([statusPath(`${dir}//`, 'ƒA'), startedPath(dir, 'ƒA'), scriptPath(dir, 'ƒA', '.qsub')]).toEqual([`${dir}/ƒA.status`, `${dir}/ƒA.status.started`, `${dir}/ƒA.qsub`]);
    expect(parseStatusFile('0\n')).toEqual({ waitstatus: 0 });
    expect(parseStatusFile('768\n')).toEqual({ waitstatus: 768 });
    expect(parseStatusFile('32512\nexec foo: command not found\n')).toEqual({ waitstatus: 32512, execError: 'foo: command not found' });
    expect(parseStatusFile('')).toBeUndefined();
    expect(parseStatusFile('abc\n')).toBeUndefined();
    expect(parseStatusFile('99999999\n')).toBeUndefined();
    expect(await readStatusFile(statusPath(dir, 'ƒA'))).toBeUndefined();
    expect(await commandStarted(startedPath(dir, 'ƒA'))).toBe(false);
    writeFileSync(statusPath(dir, 'ƒA'), '15\n');
    writeFileSync(startedPath(dir, 'ƒA'), '');
    expect(await readStatusFile(statusPath(dir, 'ƒA'))).toEqual({ waitstatus: 15 });
    expect(await commandStarted(startedPath(dir, 'ƒA'))).toBe(true);
    await clearRunFiles(dir, 'ƒA');
    expect([existsSync(statusPath(dir, 'ƒA')), existsSync(startedPath(dir, 'ƒA'))]).toEqual([false, false]);
  });
});

describe('specs', () => {
  it('rejects what no batch job can receive, naming the scheduler and the place', () => {
    const view = { command: ['echo'], numTasks: 1, coresPerTask: 1, gpusPerTask: 0, numNodes: undefined, exclusive: false, duration: 0 };
    expect(() => checkBatchSpec({ ...view, command: ['echo', 'a\0b'] }, 'Grid Engine')).toThrow(/\/tasks\/0\/command\/1: holds a NUL character, which no Grid Engine job can receive/);
    expect(() => checkBatchSpec({ ...view, environment: { 'A=B': 'x' } }, 'X')).toThrow(UnsatisfiableRequestError);
    expect(() => checkBatchSpec({ ...view, files: { '../x': { data: '' } } }, 'X')).toThrow(/plain names/);
    expect(() => checkBatchSpec(Jobspec.fromCommand(['true']), 'X')).not.toThrow();
  });

  it('resolves outputs as the local backend: defaults in the log folder, relative paths against cwd', () => {
    const spec = { command: ['/bin/sim'], numTasks: 1, coresPerTask: 1, gpusPerTask: 0, numNodes: undefined, exclusive: false, duration: 0, cwd: '/work', stdout: 'o/{{name}}-{{id}}.log' };
    expect(pathTemplates(spec, '/logs')).toEqual({ stdout: '/work/o/{{name}}-{{id}}.log', stderr: '/work/o/{{name}}-{{id}}.log' });
    expect(outputPaths(Jobspec.fromCommand(['/bin/sim']), '/logs', 'ƒA')).toEqual({ stdout: '/logs/ƒA.out', stderr: '/logs/ƒA.err' });
  });
});
