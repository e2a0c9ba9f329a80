/** The app registry (libEnsemble's job controller) on the local backend, with real processes. */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JobExecutor } from '../../src/executor/index.js';
import { InvalidArgumentError } from '../../src/util/errors.js';
import { AppRegistry, UnknownAppError, pollingLoop, splitAppArgs, type AppTask } from '../../src/workflows/apps/index.js';
import { waitFor } from '../behaviour/helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'jobf-apps-'));
function app(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}
const echoApp = app('echo-app', 'printf "%s|" "$@"; echo; echo to-stderr >&2; echo "$PWD" > result.txt; exit "${EXIT_WITH:-0}"');
// Traps SIGTERM and ignores it; says "ready" once the trap is set.
const stubborn = app('stubborn', "trap 'echo got-term' TERM; echo ready; while :; do sleep 0.05; done");
// Exits 0 on SIGTERM (a graceful shutdown).
const graceful = app('graceful', "trap 'echo bye; exit 0' TERM; echo ready; while :; do sleep 0.05; done");
const sleeper = app('sleeper', 'echo ready; exec sleep 600');

const ex = new JobExecutor({ backend: 'local', maxCores: 8 });
afterAll(() => ex.shutdown({ cancelFutures: true }));
const apps = new AppRegistry(ex, { workdir: path.join(dir, 'work') });
apps.register('echo', { fullPath: echoApp, calcType: 'sim' });
apps.register(undefined, { fullPath: stubborn, calcType: 'gen' });
apps.register('graceful', { fullPath: graceful });
apps.register('sleeper', { fullPath: sleeper });

const ready = (task: AppTask) => waitFor(() => task.stdoutExists() && readFileSync(task.stdoutPath!, 'utf8').includes('ready'), 30_000, 'the app to say ready');

describe('AppRegistry', () => {
  it('launches by name with string appArgs, stdout/stderr in workdir, file readers, poll states', async () => {
    const workdir = path.join(dir, 'w1');
    const task = apps.launch('echo', { appArgs: `a 'b c' "d \\"e\\"" f\\ g`, workdir, stdout: 'out.txt', stderr: 'err.txt' });
    expect(['WAITING', 'RUNNING', 'FINISHED']).toContain(task.poll()); // never blocks
    const r = await task;
    expect(r.result).toBe('COMPLETED');
    expect(task.poll()).toBe('FINISHED');
    expect(task.finished && task.success).toBe(true);
    expect(task.errcode).toBe(0);
    expect(task.stdoutPath).toBe(path.join(workdir, 'out.txt'));
    expect(task.stdoutExists()).toBe(true);
    expect(await task.readStdout()).toBe('a|b c|d "e"|f g|\n');
    expect(await task.readStderr()).toBe('to-stderr\n');
    expect((await task.readFileInWorkdir('result.txt')).trim()).toBe(workdir);
    expect(() => task.readFileInWorkdir('../escape')).toThrow(InvalidArgumentError);
    expect(task.argv).toEqual([echoApp, 'a', 'b c', 'd "e"', 'f g']);
  });

  it('argv appArgs are used as is; default output names carry the app and job id; calcType picks the app', async () => {
    const task = apps.launch({ calcType: 'sim', appArgs: ['$HOME', '*'], environment: { EXIT_WITH: '3', PATH: process.env.PATH! } });
    const r = await task;
    expect(r.returncode).toBe(3);
    expect(task.poll()).toBe('FAILED');
    expect(task.success).toBe(false);
    expect(path.basename(task.stdoutPath!)).toBe(`echo.${task.id!.f58}.out`);
    expect(await task.readStdout()).toBe('$HOME|*|\n');
  });

  it('an unknown app or calc type is a typed error before anything is submitted', () => {
    const workdir = path.join(dir, 'never');
    expect(() => apps.launch('nope', { workdir })).toThrow(UnknownAppError);
    try {
      apps.launch('nope', { workdir });
    } catch (e) {
      expect((e as UnknownAppError).registered).toEqual(['echo', 'stubborn', 'graceful', 'sleeper']);
      expect((e as UnknownAppError).code).toBe('ERR_UNKNOWN_APP');
    }
    expect(() => apps.launch({ calcType: 'viz', workdir })).toThrow(/unknown calc type 'viz'/);
    expect(existsSync(workdir)).toBe(false);
  });

  it('bad registrations and counts are typed errors', () => {
    expect(() => apps.register('x', { fullPath: 'relative/sim' })).toThrow(InvalidArgumentError);
    expect(() => apps.register('x', { fullPath: path.join(dir, 'missing') })).toThrow(/not an executable file/);
    expect(() => apps.launch('echo', { numProcs: 3, numNodes: 2, procsPerNode: 2 })).toThrow(/numNodes × procsPerNode/);
    expect(() => apps.launch('echo', { numProcs: 0 })).toThrow(InvalidArgumentError);
    expect(() => apps.launch('echo', { appArgs: "'open" })).toThrow(/unterminated single quote/);
    expect(() => apps.launch('echo', { mpi: 'lam' as never })).toThrow(InvalidArgumentError);
  });

  it('several processes without MPI (mpi: false) run as independent tasks', async () => {
    const task = apps.launch('echo', { numProcs: 3, mpi: false, appArgs: 'x' });
    expect((await task).result).toBe('COMPLETED');
    // three processes append to one file: their writes may interleave, so count them, not lines
    expect((await task.readStdout()).match(/x\|/g)).toHaveLength(3);
  });
});

describe('kill semantics', () => {
  it('waitTime 0: SIGKILL at once, even for a job that traps SIGTERM', async () => {
    const task = apps.launch('stubborn');
    await ready(task);
    expect(task.poll()).toBe('RUNNING');
    const t0 = Date.now();
    const r = await apps.kill(task, { waitTime: 0 });
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(r.returncode).toBe(-9);
    expect(task.poll()).toBe('USER_KILLED');
    expect(task.killed).toBe(true);
    expect(await task.readStdout()).not.toContain('got-term');
  });

  it('waitTime > 0: SIGTERM first; a job that ignores it gets SIGKILL after waitTime', async () => {
    const task = apps.launch('stubborn');
    await ready(task);
    const t0 = Date.now();
    const r = await task.kill({ waitTime: 1_500 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_400);
    expect(r.returncode).toBe(-9);
    expect(await task.readStdout()).toContain('got-term');
    expect(task.poll()).toBe('USER_KILLED');
  });

  it('waitTime > 0: a job that ends on SIGTERM is not SIGKILLed; a graceful exit 0 is still USER_KILLED', async () => {
    const plain = apps.launch('sleeper');
    const gentle = apps.launch('graceful');
    await Promise.all([ready(plain), ready(gentle)]);
    const t0 = Date.now();
    const [rp, rg] = await Promise.all([plain.kill({ waitTime: 60_000 }), gentle.kill({ waitTime: 60_000 })]);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(rp.returncode).toBe(-15);
    expect(rg.returncode).toBe(0);
    expect(await gentle.readStdout()).toContain('bye');
    expect(gentle.poll()).toBe('USER_KILLED');
    // a second kill of a finished task changes nothing
    expect((await gentle.kill({ waitTime: 0 })).returncode).toBe(0);
  });

  it('a task that has not started is canceled', async () => {
    const task = apps.launch('sleeper', { submit: { urgency: 0 } }); // held
    expect(task.poll()).toBe('WAITING');
    const r = await task.kill({ waitTime: 0 });
    expect(r.result).toBe('CANCELED');
    expect(task.poll()).toBe('USER_KILLED');
    expect(task.stdoutExists()).toBe(false);
  });
});

describe('pollingLoop', () => {
  it('a task that ends by itself: FINISHED or FAILED', async () => {
    expect((await pollingLoop(apps.launch('echo'))).status).toBe('FINISHED');
    const failed = await pollingLoop(apps.launch('echo', { environment: { EXIT_WITH: '2' } }), { timeout: 60_000 });
    expect(failed).toMatchObject({ status: 'FAILED', state: 'FAILED' });
    expect(failed.result?.returncode).toBe(2);
  });

  it('kills on the timeout', async () => {
    const t0 = Date.now();
    const out = await pollingLoop(apps.launch('stubborn'), { timeout: 500 });
    expect(out.status).toBe('KILLED_ON_TIMEOUT');
    expect(out.state).toBe('USER_KILLED');
    expect(out.result?.returncode).toBe(-9);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(450);
  });

  it('kills when the AbortSignal fires (the manager says finish), with a grace time', async () => {
    const task = apps.launch('graceful');
    const finish = new AbortController();
    const loop = pollingLoop(task, { signal: finish.signal, killWaitTime: 30_000 });
    await ready(task);
    finish.abort();
    const out = await loop;
    expect(out.status).toBe('KILLED_ON_ABORT');
    expect(out.result?.returncode).toBe(0); // it took the SIGTERM and left cleanly
  });
});

describe('splitAppArgs', () => {
  it.each([
    ['', []],
    ['  a   b ', ['a', 'b']],
    [`--x='1 2' y"z w"`, ['--x=1 2', 'yz w']],
    [`"a\\$b\\c"`, ['a$b\\c']],
    [`''`, ['']],
    [`a\\'b`, ["a'b"]],
  ])('%j', (text, want) => expect(splitAppArgs(text)).toEqual(want));
  it('rejects unterminated quotes and a trailing backslash', () => {
    expect(() => splitAppArgs('"a')).toThrow(/unterminated double quote/);
    expect(() => splitAppArgs('a\\')).toThrow(/trailing backslash/);
  });
});

describe('with a job store', () => {
  it('a launch is a stored job like any submit (MPI too), and kill works on its persistent processes', async () => {
    const store = path.join(mkdtempSync(path.join(tmpdir(), 'jobf-apps-store-')), 'jobs.db');
    await using stored = new JobExecutor({ backend: 'local', store, maxCores: 8 });
    const reg = new AppRegistry(stored, { workdir: path.join(dir, 'stored') });
    reg.register('echo', { fullPath: echoApp });
    reg.register('stubborn', { fullPath: stubborn });
    const task = reg.launch('echo', { appArgs: 'kept' });
    expect((await task).result).toBe('COMPLETED');
    expect(stored.get(task.id!)?.result).toBe('COMPLETED');
    expect(await task.readStdout()).toBe('kept|\n');
    const long = reg.launch('stubborn');
    await ready(long);
    expect((await long.kill({ waitTime: 500 })).returncode).toBe(-9);
    expect(stored.get(long.id!)?.result).toBe('FAILED');
  });
});
