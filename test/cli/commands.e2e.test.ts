/**
 * The `jobf` bin end to end: every command that works on the store alone, run as a child process.
 * Where a job must have run, the test plays the executor by appending events to the store.
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import type { JobID } from '../../src/ids/index.js';
import { JobStore } from '../../src/store/index.js';
import { useWorkdirs } from './helpers/workdirs.js';
import { dump, finishJob, ids, jobf, jobfProcess, prepareBin } from './helpers/jobf.js';

const workdir = useWorkdirs('jobf-cli-', prepareBin);

function get(db: string, id: JobID): ReturnType<JobStore['get']> {
  const store = JobStore.open(db, { readonly: true });
  try {
    return store.get(id);
  } finally {
    store.close();
  }
}

interface ListedJob {
  id: string;
  name: string;
  state: string;
  result: string | null;
  returncode: number | null;
  command: string[];
  dependencies: { id: string; kind: string }[];
  arrayId: string | null;
  arrayIndex: number | null;
  urgency: number;
  stdout: string;
  stderr: string;
  cwd: string;
  attempt: number;
}

async function listJSON(cwd: string, ...args: string[]): Promise<ListedJob[]> {
  const r = await jobf(['list', '--json', ...args], { cwd });
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
  return JSON.parse(r.stdout) as ListedJob[];
}

describe('jobf submit', () => {
  it('stores a local job queued, never runs it, and prints its F58 id', async () => {
    const { cwd, db } = workdir();
    const marker = join(cwd, 'ran');
    const r = await jobf(['submit', '--env', 'GREETING=hi there', '--', 'sh', '-c', `touch ${marker}`], {
      cwd,
      env: { INHERITED: 'yes' },
    });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^ƒ[1-9A-HJ-NP-Za-km-z]+\n$/);
    const [id] = ids(r);

    const rec = get(db, id!)!;
    expect(rec).toMatchObject({ name: 'sh', backend: 'local', state: 'NEW', urgency: 16, cwd, attempt: 1 });
    expect(rec.owner).toBeUndefined();
    const logDir = join(cwd, '.jobf-logs');
    expect(rec.logDir).toBe(logDir);
    expect(rec.stdout).toBe(join(logDir, `sh.${id!.f58plain}.out`));
    expect(rec.stderr).toBe(join(logDir, `sh.${id!.f58plain}.err`));
    expect(statSync(logDir).isDirectory()).toBe(true);
    const system = (rec.spec['attributes'] as { system: Record<string, unknown> }).system;
    expect(system['environment']).toMatchObject({ GREETING: 'hi there', INHERITED: 'yes' });
    expect(system['cwd']).toBe(cwd);
    expect((rec.spec['tasks'] as { command: string[] }[])[0]!.command).toEqual(['sh', '-c', `touch ${marker}`]);

    const store = JobStore.open(db, { readonly: true });
    const events = store.events(id!);
    store.close();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ name: 'submit', seq: 1, attempt: 1, context: { urgency: 16, flags: 0, version: 1 } });

    await new Promise((res) => setTimeout(res, 300));
    expect(existsSync(marker)).toBe(false);
  });

  it('--name, --hold, --duration, --tasks, --cores, --cwd, --log-dir, --json', async () => {
    const { cwd, db } = workdir();
    mkdirSync(join(cwd, 'sub'));
    const r = await jobf(
      ['submit', '--json', '--name', 'train model', '--hold', '--duration', '10m', '--tasks', '2', '--cores', '1',
        '--cwd', 'sub', '--log-dir', 'logs', 'python3', 'train.py'],
      { cwd },
    );
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const [f58] = JSON.parse(r.stdout) as string[];
    const [job] = await listJSON(cwd, f58!);
    expect(job).toMatchObject({ name: 'train model', urgency: 0, state: 'NEW', cwd: join(cwd, 'sub') });
    expect(job!.stdout).toBe(join(cwd, 'logs', `train_model.f${f58!.slice(1)}.out`));
    const rec = get(db, ids({ exitCode: 0, stdout: f58!, stderr: '' })[0]!)!;
    const system = (rec.spec['attributes'] as { system: Record<string, unknown> }).system;
    expect(system['duration']).toBe(600);
    // (2 cores in all: at most what this machine has, or "jobf execute" could never run it.)
    expect(JSON.stringify(rec.spec['resources'])).toContain('"type":"slot","count":2');
    expect(JSON.stringify(rec.spec['resources'])).toContain('"type":"core","count":1');
    const table = await jobf(['list'], { cwd });
    expect(table.stdout).toContain('NEW (held)');
  });

  it('--array makes one job per index with the index variables', async () => {
    const { cwd, db } = workdir();
    const r = await jobf(['submit', '--array', '0-10:5', '--', 'echo', 'task'], { cwd });
    const tasks = ids(r);
    expect(tasks).toHaveLength(3);
    const recs = tasks.map((id) => get(db, id)!);
    expect(recs.map((t) => t.arrayIndex)).toEqual([0, 5, 10]);
    for (const t of recs) {
      expect(t.arrayId?.equals(tasks[0]!)).toBe(true);
      const env = (t.spec['attributes'] as { system: { environment: Record<string, string> } }).system.environment;
      const index = String(t.arrayIndex);
      expect(env).toMatchObject({ JOBFUTURES_ARRAY_INDEX: index, SLURM_ARRAY_TASK_ID: index, SGE_TASK_ID: index });
    }
    expect(new Set(recs.map((t) => t.stdout)).size).toBe(3);
  });

  it('--after and --after-any record dependencies (ids in any encoding, repeated or comma-separated)', async () => {
    const { cwd, db } = workdir();
    const [a] = ids(await jobf(['submit', 'true'], { cwd }));
    const [b] = ids(await jobf(['submit', 'true'], { cwd }));
    const [c] = ids(await jobf(['submit', 'true'], { cwd }));
    const r = await jobf(['submit', '--after', `${a!.dec},${b!.f58plain}`, '--after-any', c!.f58, '--', 'true'], { cwd });
    const [d] = ids(r);
    const deps = get(db, d!)!.dependencies.map((x) => [x.jobid.f58, x.kind]);
    expect(deps).toEqual([
      [a!.f58, 'afterok'],
      [b!.f58, 'afterok'],
      [c!.f58, 'afterany'],
    ]);
  });

  it('JOBF_DB and --db choose the store', async () => {
    const { cwd } = workdir();
    ids(await jobf(['submit', 'true'], { cwd, env: { JOBF_DB: 'env.db' } }));
    ids(await jobf(['--db', 'flag.db', 'submit', 'true'], { cwd, env: { JOBF_DB: 'env.db' } }));
    expect(existsSync(join(cwd, 'env.db'))).toBe(true);
    expect(existsSync(join(cwd, 'flag.db'))).toBe(true);
    expect(existsSync(join(cwd, 'jobs.db'))).toBe(false);
    expect(await listJSON(cwd, '--db', 'flag.db')).toHaveLength(1);
  });
});

describe('jobf list / show / events', () => {
  it('lists as a table and as JSON, with filters', async () => {
    const { cwd, db } = workdir();
    const [ok] = ids(await jobf(['submit', '--name', 'good', '--', 'echo', 'a b'], { cwd }));
    const [bad] = ids(await jobf(['submit', '--name', 'bad', 'false'], { cwd }));
    const [queued] = ids(await jobf(['submit', '--name', 'queued', 'sleep', '1'], { cwd }));
    finishJob(db, ok!, 0);
    finishJob(db, bad!, 1 << 8);

    const table = await jobf(['list'], { cwd });
    expect(table.exitCode).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+INDEX\s+STATE\s+RESULT\s+EXIT\s+AGE\s+AFTER\s+COMMAND$/);
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(new RegExp(`^${ok!.f58}\\s+good\\s+-\\s+INACTIVE\\s+COMPLETED\\s+0\\s+\\d+s\\s+-\\s+echo 'a b'$`));
    expect(lines[2]).toMatch(/bad\s+-\s+INACTIVE\s+FAILED\s+1\s/);
    expect(lines[3]).toMatch(/queued\s+-\s+NEW\s+-\s+-\s/);

    const all = await listJSON(cwd);
    expect(all.map((j) => j.name)).toEqual(['good', 'bad', 'queued']);
    expect(all[0]).toMatchObject({ id: ok!.f58, state: 'INACTIVE', result: 'COMPLETED', returncode: 0, command: ['echo', 'a b'] });
    expect((await listJSON(cwd, '--state', 'inactive')).map((j) => j.name)).toEqual(['good', 'bad']);
    expect((await listJSON(cwd, '--state', 'pending')).map((j) => j.name)).toEqual(['queued']);
    expect((await listJSON(cwd, '--result', 'failed,completed')).map((j) => j.name)).toEqual(['good', 'bad']);
    expect((await listJSON(cwd, '--name', 'bad')).map((j) => j.name)).toEqual(['bad']);
    expect((await listJSON(cwd, queued!.dec, ok!.f58plain)).map((j) => j.name)).toEqual(['good', 'queued']);
    expect(await listJSON(cwd, '--name', 'nobody')).toEqual([]);
  });

  it('shows one job in full, as text and JSON', async () => {
    const { cwd, db } = workdir();
    const [dep] = ids(await jobf(['submit', 'true'], { cwd }));
    const [id] = ids(await jobf(['submit', '--name', 'x', '--after', dep!.f58, '--env', 'K=V', '--', 'printf', '%s\\n', 'hi'], { cwd }));
    finishJob(db, id!, 3 << 8);

    const text = await jobf(['show', id!.f58plain], { cwd });
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toContain(`id:         ${id!.f58} (${id!.dec})`);
    expect(text.stdout).toMatch(/result:\s+FAILED \(exit code 3\)/);
    expect(text.stdout).toContain(`depends on: ${dep!.f58} (afterok)`);
    expect(text.stdout).toContain(`stdout:     ${join(cwd, '.jobf-logs', `x.${id!.f58plain}.out`)}`);
    expect(text.stdout).toMatch(/command:\s+printf '%s\\n' hi/);
    expect(text.stdout).toMatch(/jobspec:\n {2}version: 1/);
    expect(text.stdout).toMatch(/environment: \(\d+ variables; "jobf show --json" prints them\)/);
    expect(text.stdout).toMatch(/events:\n {2}\S+ {2}#1 \(attempt 1\) {2}submit \{"urgency":16/);
    expect(text.stdout).toMatch(/#7 \(attempt 1\) {2}finish \{"status":768\}/);

    const json = await jobf(['show', '--json', id!.f58], { cwd });
    const parsed = JSON.parse(json.stdout) as { job: ListedJob; spec: { attributes: { system: { environment: Record<string, string> } } }; events: { name: string }[] };
    expect(parsed.job).toMatchObject({ id: id!.f58, result: 'FAILED', returncode: 3 });
    expect(parsed.spec.attributes.system.environment['K']).toBe('V');
    expect(parsed.events.map((e) => e.name)).toEqual([
      'submit', 'validate', 'depend', 'priority', 'alloc', 'start', 'finish', 'release', 'free', 'clean',
    ]);
  });

  it('prints events as JSON lines, and --follow stops when the job becomes inactive', async () => {
    const { cwd, db } = workdir();
    const [id] = ids(await jobf(['submit', 'true'], { cwd }));
    const once = await jobf(['events', id!.f58], { cwd });
    expect(once.exitCode).toBe(0);
    const lines = once.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ id: id!.f58, seq: 1, attempt: 1, name: 'submit', context: { urgency: 16 } });
    expect(typeof lines[0]!['timestamp']).toBe('number');

    const follower = jobfProcess(['events', '--follow', '--interval', '50', id!.f58], { cwd });
    await new Promise((res) => setTimeout(res, 700));
    finishJob(db, id!, 0);
    const r = await follower;
    expect(r.exitCode).toBe(0);
    const followed = String(r.stdout).trim().split('\n').map((l) => JSON.parse(l) as { name: string; seq: number });
    expect(followed.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(followed.at(-1)!.name).toBe('clean');
  });
});

describe('jobf report', () => {
  it('prints stdout and stderr under headers; --errors-only, --output-only, --json', async () => {
    const { cwd, db } = workdir();
    const [a] = ids(await jobf(['submit', '--name', 'a', 'true'], { cwd }));
    const [b] = ids(await jobf(['submit', '--name', 'b', 'true'], { cwd }));
    const ra = get(db, a!)!;
    writeFileSync(ra.stdout!, 'out of a\n');
    writeFileSync(ra.stderr!, 'err of a'); // no final newline
    finishJob(db, a!, 1 << 8);

    const r = await jobf(['report'], { cwd });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(
      [
        `==> ${a!.f58} a [FAILED, exit code 1] stdout: ${ra.stdout} <==`,
        'out of a',
        '',
        `==> ${a!.f58} a [FAILED, exit code 1] stderr: ${ra.stderr} <==`,
        'err of a',
        '',
        `==> ${b!.f58} b [NEW] stdout: ${get(db, b!)!.stdout} <==`,
        '(no output yet: the job has not started)',
        '',
        `==> ${b!.f58} b [NEW] stderr: ${get(db, b!)!.stderr} <==`,
        '(no output yet: the job has not started)',
        '',
      ].join('\n'),
    );
    const errs = await jobf(['report', '--errors-only', a!.f58], { cwd });
    expect(errs.stdout).toBe(`==> ${a!.f58} a [FAILED, exit code 1] stderr: ${ra.stderr} <==\nerr of a\n`);
    const outs = await jobf(['report', '--output-only', '--result', 'FAILED'], { cwd });
    expect(outs.stdout).toBe(`==> ${a!.f58} a [FAILED, exit code 1] stdout: ${ra.stdout} <==\nout of a\n`);
    const json = JSON.parse((await jobf(['report', '--json', a!.f58], { cwd })).stdout) as {
      id: string;
      logs: { stream: string; path: string; text: string | null }[];
    }[];
    expect(json).toEqual([
      {
        id: a!.f58,
        name: 'a',
        state: 'INACTIVE',
        result: 'FAILED',
        returncode: 1,
        exception: null,
        logs: [
          { stream: 'stdout', path: ra.stdout, text: 'out of a\n' },
          { stream: 'stderr', path: ra.stderr, text: 'err of a' },
        ],
      },
    ]);
  });
});

describe('jobf resubmit', () => {
  it('requeues failed jobs with the same id and spec (COMPLETED too with --also-success); --clean removes old logs', async () => {
    const { cwd, db } = workdir();
    const [ok] = ids(await jobf(['submit', '--name', 'ok', 'true'], { cwd }));
    const [bad] = ids(await jobf(['submit', '--name', 'bad', 'false'], { cwd }));
    const [queued] = ids(await jobf(['submit', '--name', 'queued', 'true'], { cwd }));
    finishJob(db, ok!, 0);
    finishJob(db, bad!, 1 << 8);
    const badRec = get(db, bad!)!;
    writeFileSync(badRec.stdout!, 'old output\n');

    const r = await jobf(['resubmit', '--failed-only', '--clean'], { cwd });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(`${bad!.f58}\n`);
    expect(existsSync(badRec.stdout!)).toBe(false);
    const again = get(db, bad!)!;
    expect(again).toMatchObject({ state: 'NEW', attempt: 2, attemptSeq: 11 });
    expect(again.result).toBeUndefined();
    expect(again.spec).toEqual(badRec.spec);
    expect(get(db, ok!)!.state).toBe('INACTIVE');

    // By default only jobs that did not complete go back (--failed-only is the default's name).
    const def = await jobf(['resubmit'], { cwd });
    expect(def).toEqual({
      exitCode: 0,
      stdout: '',
      stderr: 'jobf: no jobs to resubmit (none ended without success; --also-success resubmits COMPLETED ones too)\n',
    });
    // A completed job named without --also-success is not resubmitted, and a note says so.
    const named = await jobf(['resubmit', ok!.f58], { cwd });
    expect(named).toEqual({ exitCode: 0, stdout: '', stderr: `jobf: note: ${ok!.f58} completed: not resubmitted (give --also-success)\n` });
    expect(get(db, ok!)!.attempt).toBe(1);

    // --also-success (-s, as jman): every finished job goes back; the queued one is not touched.
    const all = await jobf(['resubmit', '-s'], { cwd });
    expect(all.stdout).toBe(`${ok!.f58}\n`);
    expect(get(db, ok!)!).toMatchObject({ state: 'NEW', attempt: 2 });
    expect(get(db, queued!)!.attempt).toBe(1);

    const none = await jobf(['resubmit', '--also-success'], { cwd });
    expect(none.exitCode).toBe(0);
    expect(none.stdout).toBe('');
    expect(none.stderr).toBe('jobf: no jobs to resubmit (only finished jobs are resubmitted)\n');
    expect((await jobf(['resubmit', '--failed-only', '--also-success'], { cwd })).stderr).toBe(
      'jobf: --failed-only and --also-success exclude each other\n',
    );
  });

  it('refuses a named job that is still active, writing nothing', async () => {
    const { cwd, db } = workdir();
    const [id] = ids(await jobf(['submit', 'true'], { cwd }));
    const before = dump(db);
    const r = await jobf(['resubmit', id!.f58], { cwd });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(`jobf: job ${id!.f58} is still active (state NEW); only finished jobs can be resubmitted\n`);
    expect(dump(db)).toEqual(before);
  });
});

describe('jobf delete', () => {
  it('removes jobs and their logs (or keeps the logs with --keep-logs)', async () => {
    const { cwd, db } = workdir();
    const [a] = ids(await jobf(['submit', '--name', 'a', 'true'], { cwd }));
    const [b] = ids(await jobf(['submit', '--name', 'b', 'true'], { cwd }));
    const [c] = ids(await jobf(['submit', '--name', 'c', '--after', b!.f58, 'true'], { cwd }));
    finishJob(db, a!, 0);
    const ra = get(db, a!)!;
    const rb = get(db, b!)!;
    writeFileSync(ra.stdout!, 'a');
    writeFileSync(rb.stdout!, 'b');

    const r = await jobf(['delete', a!.f58], { cwd });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(`${a!.f58}\n`);
    expect(get(db, a!)).toBeUndefined();
    expect(existsSync(ra.stdout!)).toBe(false);

    const keep = await jobf(['delete', '--keep-logs', b!.f58], { cwd });
    expect(keep.exitCode).toBe(0);
    expect(keep.stderr).toBe(`jobf: note: ${c!.f58} depended on deleted jobs; that dependency can no longer be satisfied\n`);
    expect(existsSync(rb.stdout!)).toBe(true);

    const rest = await jobf(['delete', '--json'], { cwd });
    expect(JSON.parse(rest.stdout)).toEqual([c!.f58]);
    expect(await listJSON(cwd)).toEqual([]);
  });
});

describe('help', () => {
  it('jobf --help and jobf COMMAND --help print usage and exit 0', async () => {
    const { cwd } = workdir();
    const top = await jobf(['--help'], { cwd });
    expect(top.exitCode).toBe(0);
    for (const c of ['submit', 'list', 'show', 'events', 'report', 'execute', 'wait', 'stop', 'resubmit', 'delete']) {
      expect(top.stdout).toContain(`  ${c} `);
    }
    const sub = await jobf(['submit', '--help'], { cwd });
    expect(sub.exitCode).toBe(0);
    expect(sub.stdout).toContain('usage: jobf submit [OPTIONS] [--] CMD [ARGS...]');
    expect(sub.stdout).toContain('--after-any ID,... ...');
    expect(existsSync(join(cwd, 'jobs.db'))).toBe(false);
  });
});
