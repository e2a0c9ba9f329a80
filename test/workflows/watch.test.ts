/**
 * The inbox watcher on the local backend, in-process (`watchInbox`) and through `jobf watch`:
 * alphabetical order, helper files, failures, name clashes, folders without job.sh, JSON lines,
 * one watcher per root, and a folder left in pending/ by a previous watcher followed, not resubmitted.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FluidGenerator } from '../../src/ids/index.js';
import { JobStore } from '../../src/store/index.js';
import { setupWatchRoot, watchInbox, type WatchEvent, WatcherRunningError, WatchRootError } from '../../src/workflows/watch/index.js';
import { tempDir } from '../store/helpers.js';
import { jobf, jobfProcess, prepareBin } from '../cli/helpers/jobf.js';
import { waitFor } from '../behaviour/helpers.js';
import { dropJob, lines, names, text } from './helpers.js';
import { watchEventPrinter } from '../../src/cli/shared/watch-lines.js';
import type { CliIO } from '../../src/cli/shared/context.js';

let base = '';
let cleanup = (): void => {};
let n = 0;
beforeAll(async () => {
  await prepareBin();
  ({ dir: base, cleanup } = tempDir('jobf-watch-'));
}, 180_000);
afterAll(() => cleanup());

/** A fresh, set-up root. */
function newRoot(): string {
  const root = join(base, `r${++n}`);
  setupWatchRoot(root);
  return root;
}

async function watchUntilIdle(root: string, opts: { parallel?: number } = {}): Promise<WatchEvent[]> {
  const events: WatchEvent[] = [];
  await watchInbox({ root, period: 0.05, parallel: opts.parallel ?? 2, exitWhenIdle: true, onEvent: (e) => events.push(e) });
  return events;
}

describe('watchInbox (local)', () => {
  it('--setup makes inbox/ pending/ complete/; watching a root that was not set up is a typed error', async () => {
    const root = newRoot();
    expect(names(root)).toEqual(['complete', 'inbox', 'pending']);
    await expect(watchInbox({ root: join(base, 'nowhere'), exitWhenIdle: true })).rejects.toThrow(WatchRootError);
  });

  it('submits in alphabetical order (100 before 110 before 20), one at a time with parallel 1', async () => {
    const root = newRoot();
    const log = join(root, 'order.log');
    for (const name of ['b', '20', '110', 'a', '100']) dropJob(root, name, `echo ${name} >> ${log}\n`);
    const events = await watchUntilIdle(root, { parallel: 1 });
    expect(lines(log)).toEqual(['100', '110', '20', 'a', 'b']);
    expect(events.filter((e) => e.type === 'submit').map((e) => (e as { folder: string }).folder)).toEqual(['100', '110', '20', 'a', 'b']);
    expect(names(join(root, 'complete'))).toEqual(['100', '110', '20', 'a', 'b']);
    expect(names(join(root, 'inbox'))).toEqual([]);
    expect(names(join(root, 'pending'))).toEqual([]);
  });

  it('never runs more than `parallel` jobs at once', async () => {
    const root = newRoot();
    const log = join(root, 'running.log');
    // Each job notes how many jobs run beside it (marker files), then holds its slot a while.
    const script = `touch ${root}/run.$$; ls ${root} | grep -c '^run\\.' >> ${log}; sleep 0.3; rm ${root}/run.$$\n`;
    for (let i = 0; i < 6; i++) dropJob(root, `j${i}`, script);
    await watchUntilIdle(root, { parallel: 2 });
    expect(lines(log)).toHaveLength(6);
    expect(Math.max(...lines(log).map(Number))).toBeLessThanOrEqual(2);
  });

  it('writes the helper files: job id, status, job_output.txt (stdout and stderr of bash job.sh, run in the folder); the user\'s files travel', async () => {
    const root = newRoot();
    dropJob(root, 'ok', 'echo out; echo err >&2; pwd; cat input.txt\n', { 'input.txt': 'mine\n' });
    const events = await watchUntilIdle(root);
    const dir = join(root, 'complete', 'ok');
    expect(names(dir)).toEqual(['input.txt', 'job.sh', 'job_id.txt', 'job_output.txt', 'job_status.txt']);
    const submit = events.find((e) => e.type === 'submit') as Extract<WatchEvent, { type: 'submit' }>;
    expect(text(join(dir, 'job_id.txt'))).toBe(submit.jobid);
    expect(lines(join(dir, 'job_output.txt'))).toEqual(['out', 'err', join(root, 'pending', 'ok'), 'mine']);
    expect(lines(join(dir, 'job_status.txt'))[0]).toBe('COMPLETED 0');
    const complete = events.find((e) => e.type === 'complete') as Extract<WatchEvent, { type: 'complete' }>;
    expect([complete.folder, complete.result, complete.returncode, complete.movedTo]).toEqual(['ok', 'COMPLETED', 0, 'ok']);
    // The job is in the root's own store.
    const store = JobStore.open(join(root, '.jobf', 'jobs.db'), { readonly: true });
    try {
      expect(store.list().map((r) => [r.jobid.f58, r.result, r.cwd])).toEqual([[submit.jobid, 'COMPLETED', join(root, 'pending', 'ok')]]);
    } finally {
      store.close();
    }
  });

  it('a failed job gets job_error.txt with the reason, in complete/', async () => {
    const root = newRoot();
    dropJob(root, 'bad', 'echo doomed; exit 3\n');
    dropJob(root, 'killed', 'kill -TERM $$\n');
    await watchUntilIdle(root);
    const bad = join(root, 'complete', 'bad');
    expect(text(join(bad, 'job_error.txt'))).toBe('FAILED: exit code 3');
    expect(lines(join(bad, 'job_status.txt'))[0]).toBe('FAILED 3');
    expect(lines(join(bad, 'job_output.txt'))).toEqual(['doomed']);
    expect(lines(join(root, 'complete', 'killed', 'job_status.txt'))[0]).toBe('FAILED -15');
    expect(existsSync(join(root, 'complete', 'killed', 'job_error.txt'))).toBe(true);
  });

  it('name clashes overwrite nothing: an inbox folder named like one in pending/ or complete/ stays in the inbox (warned once)', async () => {
    const root = newRoot();
    dropJob(root, 'x', 'echo first > result.txt\n');
    await watchUntilIdle(root);
    dropJob(root, 'x', 'echo second > result.txt\n');
    const events = await watchUntilIdle(root);
    expect(text(join(root, 'complete', 'x', 'result.txt'))).toBe('first');
    expect(names(join(root, 'inbox'))).toEqual(['x']);
    expect(text(join(root, 'inbox', 'x', 'job.sh'))).toBe('echo second > result.txt');
    const warnings = events.filter((e) => e.type === 'warning');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ folder: 'x', code: 'name-clash' });
  });

  it('a folder whose name appeared in complete/ while its job ran is filed under a new name', async () => {
    const root = newRoot();
    const gate = join(root, 'gate');
    dropJob(root, 'y', `while [ ! -e ${gate} ]; do sleep 0.02; done; echo mine > result.txt\n`);
    const events: WatchEvent[] = [];
    const watching = watchInbox({ root, period: 0.05, exitWhenIdle: true, onEvent: (e) => events.push(e) });
    while (!events.some((e) => e.type === 'submit')) await new Promise((r) => setTimeout(r, 20));
    mkdirSync(join(root, 'complete', 'y'));
    writeFileSync(join(root, 'complete', 'y', 'other.txt'), 'not yours\n');
    writeFileSync(gate, '');
    await watching;
    expect(names(join(root, 'complete', 'y'))).toEqual(['other.txt']);
    expect(text(join(root, 'complete', 'y.2', 'result.txt'))).toBe('mine');
    expect(events.find((e) => e.type === 'complete')).toMatchObject({ folder: 'y', movedTo: 'y.2' });
  });

  it('folders without job.sh are left alone with one warning, and submitted once job.sh appears', async () => {
    const root = newRoot();
    dropJob(root, 'later', undefined, { 'data.txt': 'x' });
    writeFileSync(join(root, 'inbox', 'stray.txt'), '');
    const events: WatchEvent[] = [];
    const controller = new AbortController();
    const watching = watchInbox({ root, period: 0.02, signal: controller.signal, onEvent: (e) => events.push(e) });
    while (events.filter((e) => e.type === 'check').length < 10) await new Promise((r) => setTimeout(r, 20));
    expect(events.filter((e) => e.type === 'warning').map((e) => [(e as { folder: string }).folder, (e as { code: string }).code])).toEqual([
      ['later', 'no-job-script'],
      ['stray.txt', 'not-a-folder'],
    ]);
    expect(names(join(root, 'inbox', 'later'))).toEqual(['data.txt']);
    writeFileSync(join(root, 'inbox', 'later', 'job.sh'), 'cat data.txt\n');
    while (!events.some((e) => e.type === 'complete')) await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    await watching;
    expect(text(join(root, 'complete', 'later', 'job_output.txt'))).toBe('x');
    expect(events.filter((e) => e.type === 'warning')).toHaveLength(2);
  });

  it('abort: no new folder is taken; the running job is waited for and filed', async () => {
    const root = newRoot();
    const gate = join(root, 'gate');
    dropJob(root, 'a', `while [ ! -e ${gate} ]; do sleep 0.02; done\n`);
    dropJob(root, 'b', 'true\n');
    const events: WatchEvent[] = [];
    const controller = new AbortController();
    const watching = watchInbox({ root, period: 0.05, parallel: 1, signal: controller.signal, onEvent: (e) => events.push(e) });
    while (!events.some((e) => e.type === 'submit')) await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    while (!events.some((e) => e.type === 'stopping')) await new Promise((r) => setTimeout(r, 20));
    writeFileSync(gate, '');
    expect(await watching).toEqual({ submitted: 1, completed: 1, failed: 0 });
    expect(names(join(root, 'complete'))).toEqual(['a']);
    expect(names(join(root, 'inbox'))).toEqual(['b']);
  });

  it('one watcher per root: a second one is refused while the first runs', async () => {
    const root = newRoot();
    const controller = new AbortController();
    let started = false;
    const first = watchInbox({ root, period: 0.05, signal: controller.signal, onEvent: (e) => void (started ||= e.type === 'start') });
    while (!started) await new Promise((r) => setTimeout(r, 20));
    await expect(watchInbox({ root, exitWhenIdle: true })).rejects.toThrow(WatcherRunningError);
    controller.abort();
    await first;
    await watchInbox({ root, exitWhenIdle: true, period: 0.05 }); // the lock was released
  });

  it('restart: a pending folder with an id the store does not know yet is submitted under that id; one without an id gets one', async () => {
    const root = newRoot();
    // As a watcher killed right after writing the id (before storing the job), and one killed
    // right after the move to pending/ (before writing the id).
    const id = new FluidGenerator().next();
    mkdirSync(join(root, 'pending', 'p1'));
    writeFileSync(join(root, 'pending', 'p1', 'job.sh'), 'echo p1\n');
    writeFileSync(join(root, 'pending', 'p1', 'job_id.txt'), id.f58 + '\n');
    mkdirSync(join(root, 'pending', 'p2'));
    writeFileSync(join(root, 'pending', 'p2', 'job.sh'), 'echo p2\n');
    const events = await watchUntilIdle(root);
    expect(text(join(root, 'complete', 'p1', 'job_id.txt'))).toBe(id.f58);
    expect(text(join(root, 'complete', 'p1', 'job_output.txt'))).toBe('p1');
    expect(text(join(root, 'complete', 'p2', 'job_output.txt'))).toBe('p2');
    expect(events.filter((e) => e.type === 'submit').map((e) => (e as { jobid: string }).jobid)).toContain(id.f58);
  });

  it('restart: a pending folder whose job was stored but not handed to the backend runs once, under its id', async () => {
    const root = newRoot();
    const log = join(root, 'ran.log');
    // As a watcher killed between storing the job and handing it over: the job is queued in the
    // root's store, unowned.
    dropJob(root, 'q', `echo q >> ${log}\n`);
    const id = new FluidGenerator().next();
    const { renameSync } = await import('node:fs');
    renameSync(join(root, 'inbox', 'q'), join(root, 'pending', 'q'));
    writeFileSync(join(root, 'pending', 'q', 'job_id.txt'), id.f58 + '\n');
    const store = JobStore.open(join(root, '.jobf', 'jobs.db'));
    try {
      const { enqueue } = await import('../../src/durable/enqueue.js');
      const { Jobspec } = await import('../../src/jobspec/index.js');
      const dir = join(root, 'pending', 'q');
      enqueue(store, [{ jobid: id, spec: Jobspec.fromCommand(['bash', 'job.sh'], { cwd: dir, output: join(dir, 'job_output.txt'), error: join(dir, 'job_output.txt') }), backend: 'local', submittedAt: Date.now() / 1000 }]);
    } finally {
      store.close();
    }
    const events = await watchUntilIdle(root);
    expect(events.filter((e) => e.type === 'follow')).toMatchObject([{ folder: 'q', jobid: id.f58 }]);
    expect(events.filter((e) => e.type === 'submit')).toEqual([]);
    expect(lines(log)).toEqual(['q']);
    expect(lines(join(root, 'complete', 'q', 'job_status.txt'))[0]).toBe('COMPLETED 0');
  });
});

describe('jobf watch', () => {
  it('--setup, then --json: one event object a line (start, submit, check, complete, stop); warnings too', async () => {
    const root = join(base, 'cli-json');
    const setup = await jobf(['watch', '--root', root, '--setup'], { cwd: base });
    expect(setup).toMatchObject({ exitCode: 0, stdout: `set up ${root}: inbox/ pending/ complete/\n` });
    dropJob(root, 'one', 'echo 1\n');
    dropJob(root, 'two', 'exit 4\n');
    dropJob(root, 'empty', undefined);
    const r = await jobf(['watch', '--root', root, '--period', '0.05', '--exit-when-idle', '--json'], { cwd: base });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(1); // a job failed
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as WatchEvent);
    expect(events[0]).toMatchObject({ type: 'start', root, backend: 'local' });
    expect(events.at(-1)).toMatchObject({ type: 'stop', submitted: 2, completed: 2 });
    expect(events.filter((e) => e.type === 'submit').map((e) => (e as { folder: string }).folder)).toEqual(['one', 'two']);
    expect(events.filter((e) => e.type === 'complete').map((e) => [(e as { folder: string }).folder, (e as { result: string }).result]).sort()).toEqual([
      ['one', 'COMPLETED'],
      ['two', 'FAILED'],
    ]);
    expect(events.filter((e) => e.type === 'warning')).toMatchObject([{ folder: 'empty', code: 'no-job-script' }]);
    expect(events.some((e) => e.type === 'check')).toBe(true);
    for (const e of events) expect(typeof e.time).toBe('number');
  });

  it('plain lines when stdout is not a terminal (no heartbeat dots); warnings on stderr', async () => {
    const root = join(base, 'cli-text');
    await jobf(['watch', '--root', root, '--setup'], { cwd: base });
    dropJob(root, 'one', 'echo 1\n');
    dropJob(root, 'empty', undefined);
    const r = await jobf(['watch', '--root', root, '--period', '0.05', '--exit-when-idle'], { cwd: base });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toContain('.\n');
    expect(r.stdout).toMatch(/^watching .* \(backend local, at most \d+ jobs? at once, every 0\.05 s\); Ctrl-C stops\nsubmitted one as ƒ\w+\none ƒ\w+ COMPLETED exit 0 -> complete\/one\nstopped: 1 submitted, 1 completed\n$/);
    expect(r.stderr).toBe('warning: inbox/empty has no job.sh: left alone until it has one\n');
  });

  it('Ctrl-C (SIGINT) waits for the running job, files it, takes nothing new, exits 130', async () => {
    const root = join(base, 'cli-sigint');
    await jobf(['watch', '--root', root, '--setup'], { cwd: base });
    const gate = join(base, 'sigint-gate');
    dropJob(root, 'a', `while [ ! -e ${gate} ]; do sleep 0.02; done\n`);
    dropJob(root, 'b', 'true\n');
    const w = jobfProcess(['watch', '--root', root, '--period', '0.05', '--parallel', '1'], { cwd: base });
    let out = '';
    let err = '';
    w.stdout?.on('data', (d: Buffer) => void (out += d.toString()));
    w.stderr?.on('data', (d: Buffer) => void (err += d.toString()));
    await waitFor(() => out.includes('submitted a'), 60_000, 'the first submission');
    w.kill('SIGINT');
    await waitFor(() => err.includes('stopping'), 60_000, 'the stopping line');
    writeFileSync(gate, '');
    const r = await w;
    expect(r.exitCode).toBe(130);
    expect(err).toBe('stopping: no new folder is taken; waiting for 1 running job (Ctrl-C again leaves them running: the next watcher follows them)\n');
    expect(names(join(root, 'complete'))).toEqual(['a']);
    expect(names(join(root, 'inbox'))).toEqual(['b']);
  });

  it('bad input: exit 2, nothing written', async () => {
    const missing = join(base, 'not-set-up');
    const r1 = await jobf(['watch', '--root', missing], { cwd: base });
    expect(r1.exitCode).toBe(2);
    expect(r1.stderr).toContain('has no inbox/ folder');
    expect(existsSync(missing)).toBe(false);
    const r2 = await jobf(['watch', '--root', base, '--period', 'soon'], { cwd: base });
    expect([r2.exitCode, r2.stderr]).toEqual([2, 'jobf: --period needs a positive number of seconds, got "soon"\n']);
    const r3 = await jobf(['watch'], { cwd: base });
    expect([r3.exitCode, r3.stderr]).toEqual([2, 'jobf: "jobf watch" needs --root DIR\n']);
  });
});

describe('watch event printer', () => {
  const io = (isTTY: boolean): CliIO & { text: string } => {
    const o = {
      text: '',
      out: (t: string) => void (o.text += t),
      err: (t: string) => void (o.text += `[err]${t}`),
      stdout: process.stdout,
      isTTY,
      columns: undefined,
      color: false,
    };
    return o;
  };
  const events: WatchEvent[] = [
    { type: 'check', time: 1, inbox: 0, running: 0 },
    { type: 'check', time: 2, inbox: 0, running: 0 },
    { type: 'submit', time: 3, folder: 'a', jobid: 'ƒx' },
    { type: 'check', time: 4, inbox: 0, running: 1 },
    { type: 'warning', time: 5, folder: 'b', code: 'no-job-script', message: 'inbox/b has no job.sh' },
  ];

  it('a dot per check on a terminal (as the old job_manager), lines start on a fresh line', () => {
    const o = io(true);
    events.forEach(watchEventPrinter(o, false));
    expect(o.text).toBe('..\nsubmitted a as ƒx\n.[err]\nwarning: inbox/b has no job.sh\n');
  });

  it('dots come in rows of 20', () => {
    const o = io(true);
    const print = watchEventPrinter(o, false);
    for (let i = 0; i < 45; i++) print({ type: 'check', time: i, inbox: 0, running: 0 });
    expect(o.text).toBe(`${'.'.repeat(20)}\n${'.'.repeat(20)}\n.....`);
  });

  it('no dots otherwise; JSON lines with --json', () => {
    const o = io(false);
    events.forEach(watchEventPrinter(o, false));
    expect(o.text).toBe('submitted a as ƒx\n[err]warning: inbox/b has no job.sh\n');
    const j = io(false);
    events.forEach(watchEventPrinter(j, true));
    expect(j.text.trim().split('\n').map((l) => JSON.parse(l) as WatchEvent)).toEqual(events);
  });
});
