/**
 * The plug-in table: what the executor's functions receive when `jobf` calls them (in-process).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { CliHooks } from '../../src/cli/shared/hooks.js';
import { runCli } from '../../src/cli/run.js';
import type { JobID } from '../../src/ids/index.js';
import { JobStore } from '../../src/store/index.js';
import { tempDir } from '../store/helpers.js';

let root: string;
let cleanup: () => void;
let n = 0;
beforeAll(() => ({ dir: root, cleanup } = tempDir('jobf-hooks-')));
afterAll(() => cleanup());

async function cli(argv: string[], cwd: string, hooks: Partial<CliHooks> = {}): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await runCli(argv, { cwd, env: { PATH: process.env['PATH'] }, stdout, stderr, hooks });
  return { code, out, err };
}

function workdir(): string {
  const cwd = join(root, `w${++n}`);
  mkdirSync(cwd);
  return cwd;
}

describe('hooks', () => {
  it('execute, wait and stop get their parsed arguments and decide the exit code', async () => {
    const cwd = workdir();
    const a = (await cli(['submit', 'true'], cwd)).out.trim();
    const calls: unknown[] = [];
    const hooks: Partial<CliHooks> = {
      execute: async (ctx, args) => (calls.push(['execute', args.parallel, args.ids.map(String), ctx.dbPath]), 0),
      wait: async (_ctx, args) => (calls.push(['wait', args.ids.map(String)]), 1),
      stop: async (_ctx, args) => (calls.push(['stop', args.ids.length]), 0),
    };
    expect((await cli(['execute', '--parallel', '3', a], cwd, hooks)).code).toBe(0);
    expect((await cli(['wait', a], cwd, hooks)).code).toBe(1);
    expect((await cli(['stop'], cwd, hooks)).code).toBe(0);
    expect(calls).toEqual([
      ['execute', 3, [a], join(cwd, 'jobs.db')],
      ['wait', [a]],
      ['stop', 0],
    ]);
  });

  it('submitNow gets the stored jobs of a backend that submits at once (slurm, NEW) and the open store', async () => {
    const cwd = workdir();
    let seen: { ids: string[]; backends: string[]; states: string[] } | undefined;
    const hooks: Partial<CliHooks> = {
      submitNow: async (_ctx, { store, backend, ids }) => {
        const recs = ids.map((id) => store.get(id)!);
        expect(backend).toBe('slurm');
        seen = { ids: ids.map(String), backends: recs.map((r) => r.backend), states: recs.map((r) => r.state) };
        ids.forEach((id, i) => store.setNativeId(id, String(100 + i)));
      },
    };
    const r = await cli(['--backend', 'slurm', 'submit', '--array', '1-2', 'true'], cwd, hooks);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const printed = r.out.trim().split('\n');
    expect(seen).toEqual({ ids: printed, backends: ['slurm', 'slurm'], states: ['NEW', 'NEW'] });
    const store = JobStore.open(join(cwd, 'jobs.db'), { readonly: true });
    expect(store.list().map((j) => j.nativeId)).toEqual(['100', '101']);
    store.close();
  });

  it('resubmit of a finished Slurm job hands the requeued job to submitNow', async () => {
    const cwd = workdir();
    const hooks: Partial<CliHooks> = { submitNow: async () => undefined };
    const id = (await cli(['--backend', 'slurm', 'submit', 'true'], cwd, hooks)).out.trim();
    const db = join(cwd, 'jobs.db');
    const store = JobStore.open(db);
    const jobid = store.list()[0]!.jobid;
    store.appendEvent(jobid, 'exception', 1, { type: 'cancel', severity: 0, note: '' });
    store.appendEvent(jobid, 'clean', 2);
    store.close();

    let handed: string[] = [];
    const r = await cli(['resubmit', '--failed-only'], cwd, {
      submitNow: async (_ctx, { store: s, ids }) => {
        handed = ids.map((x) => `${String(x)} ${s.get(x)!.state} ${s.get(x)!.attempt}`);
      },
    });
    expect(r).toEqual({ code: 0, out: `${id}\n`, err: '' });
    expect(handed).toEqual([`${id} NEW 2`]);
  });

  it('delete stops jobs that may be running first, then deletes them', async () => {
    const cwd = workdir();
    const id = (await cli(['submit', 'sleep', '60'], cwd)).out.trim();
    const db = join(cwd, 'jobs.db');
    const store = JobStore.open(db);
    const [rec] = store.list();
    const jobid: JobID = rec!.jobid;
    store.appendEvents(['validate', 'depend', 'priority', 'alloc', 'start'].map((name) => ({ jobid, name, timestamp: 1 })));
    store.close();
    const stopped: string[] = [];
    const hooks: Partial<CliHooks> = {
      stop: async (ctx, { ids }) => {
        const s = ctx.openStore('write');
        for (const x of ids) {
          stopped.push(String(x));
          s.appendEvent(x, 'exception', 2, { type: 'cancel', severity: 0, note: '' });
          s.appendEvent(x, 'finish', 3, { status: 15 });
          s.appendEvent(x, 'clean', 4);
        }
        s.close();
        return 0;
      },
    };
    const r = await cli(['delete', id], cwd, hooks);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(stopped).toEqual([id]);
    const after = JobStore.open(db, { readonly: true });
    expect(after.list()).toEqual([]);
    after.close();
  });

  it('a hook that throws a JobfuturesError gives exit 2 and one line; another error gives exit 1', async () => {
    const cwd = workdir();
    const { JobfuturesError } = await import('../../src/util/errors.js');
    const bad = await cli(['execute'], cwd, {
      execute: async () => {
        throw new JobfuturesError('ERR_X', 'no\nluck');
      },
    });
    expect(bad).toEqual({ code: 2, out: '', err: 'jobf: no luck\n' });
    const worse = await cli(['execute'], cwd, {
      execute: async () => {
        throw new TypeError('oops');
      },
    });
    expect(worse).toEqual({ code: 1, out: '', err: 'jobf: internal error: oops\n' });
  });
});
