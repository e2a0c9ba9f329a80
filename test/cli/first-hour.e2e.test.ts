/**
 * What a new user (often coming from gridtk's `jman`) meets in the first hour, end to end with the
 * real bin: jman's short options and counts, `{index}`, help and version, what `list`, `report`,
 * `events` and the errors say, what `delete` leaves behind, colour, and stores with permissions.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';

import type { JobID } from '../../src/ids/index.js';
import { JobStore, type JobRecord } from '../../src/store/index.js';
import { buildForTests } from './helpers/build.js';
import { useWorkdirs } from './helpers/workdirs.js';
import { dump, finishJob, ids, jobf, prepareBin } from './helpers/jobf.js';

let bin = '';
const workdir = useWorkdirs('jobf-first-hour-', async () => {
  await prepareBin();
  bin = join(await buildForTests(), 'src/cli/main.js');
});

function records(db: string): JobRecord[] {
  const store = JobStore.open(db, { readonly: true });
  try {
    return store.list();
  } finally {
    store.close();
  }
}

function record(db: string, id: JobID): JobRecord {
  const rec = records(db).find((r) => r.jobid.equals(id));
  if (!rec) throw new Error(`no job ${id.f58}`);
  return rec;
}

describe('jman habits', () => {
  it('--array N (-t N) is tasks 1 to N; -n, -l, -d; -j IDs for commands that take ids', async () => {
    const { cwd, db } = workdir();
    const [first] = ids(await jobf(['submit', '-n', 'first', 'true'], { cwd }));
    const tasks = ids(await jobf(['submit', '-t', '10', '-n', 'sweep', '-l', 'logs', '-d', first!.dec, '--', 'true'], { cwd }));
    expect(tasks).toHaveLength(10);
    const recs = tasks.map((id) => record(db, id));
    expect(recs.map((r) => r.arrayIndex)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const r of recs) {
      expect(r.name).toBe('sweep');
      expect(r.logDir).toBe(join(cwd, 'logs'));
      expect(r.dependencies.map((d) => [d.jobid.f58, d.kind])).toEqual([[first!.f58, 'afterok']]);
    }
    // --dependencies is --after; A-B:S as before.
    const stepped = ids(await jobf(['submit', '--array', '1-10:4', '--dependencies', first!.f58, '--', 'true'], { cwd }));
    expect(stepped.map((id) => record(db, id).arrayIndex)).toEqual([1, 5, 9]);
    const listed = await jobf(['list', '--json', '-j', tasks[0]!.f58, tasks[1]!.f58, '-n', 'sweep'], { cwd });
    expect((JSON.parse(listed.stdout) as { id: string }[]).map((j) => j.id)).toEqual([tasks[0]!.f58, tasks[1]!.f58]);
  });

  it('{index} in the command becomes the array index; {{index}} is left alone; \\{index} is a literal {index}', async () => {
    const { cwd, db } = workdir();
    const tasks = ids(
      await jobf(['submit', '-t', '3', '--', 'sh', '-c', 'printf "%s|%s|%s\\n" "$1" "$2" "$3"', 'sh', 'in-{index}.txt', '{{index}}', '\\{index}'], { cwd }),
    );
    expect((await jobf(['execute'], { cwd })).exitCode).toBe(0);
    for (const [i, id] of tasks.entries()) {
      expect(readFileSync(record(db, id).stdout!, 'utf8')).toBe(`in-${i + 1}.txt|{{index}}|{index}\n`);
    }
  });

  it('jobf --version, -V, jobf help, jobf help COMMAND', async () => {
    const { cwd } = workdir();
    expect(await jobf(['--version'], { cwd })).toEqual({ exitCode: 0, stdout: 'jobf 0.0.0-e2e\n', stderr: '' });
    expect((await jobf(['-V'], { cwd })).stdout).toBe('jobf 0.0.0-e2e\n');
    expect((await jobf(['--json', '--version'], { cwd })).stdout).toBe('{"version":"0.0.0-e2e"}\n');
    const top = await jobf(['help'], { cwd });
    expect(top.exitCode).toBe(0);
    expect(top.stdout).toBe((await jobf(['--help'], { cwd })).stdout);
    const sub = await jobf(['help', 'submit'], { cwd });
    expect(sub.exitCode).toBe(0);
    expect(sub.stdout).toBe((await jobf(['submit', '--help'], { cwd })).stdout);
    expect(sub.stdout).toContain('-t, --array RANGE');
    expect(sub.stdout).toContain('-d, --after ID,... ..., --dependencies');
    expect(existsSync(join(cwd, 'jobs.db'))).toBe(false);
  });
});

describe('what jobf says', () => {
  it('list: the array index, the dependencies, DEPEND for a queued job behind unfinished ones', async () => {
    const { cwd, db } = workdir();
    const [a] = ids(await jobf(['submit', '-n', 'a', 'true'], { cwd }));
    const [b] = ids(await jobf(['submit', '-n', 'b', '--after', a!.f58, 'true'], { cwd }));
    const [c] = ids(await jobf(['submit', '-n', 'c', '-t', '2-3', '--after-any', a!.f58, 'true'], { cwd }));
    const table = async (): Promise<string[]> => (await jobf(['list'], { cwd })).stdout.trimEnd().split('\n');
    let lines = await table();
    expect(lines[0]).toMatch(/^ID\s+NAME\s+INDEX\s+STATE\s+RESULT\s+EXIT\s+AGE\s+AFTER\s+COMMAND$/);
    expect(lines[1]).toMatch(new RegExp(`^${a!.f58}\\s+a\\s+-\\s+NEW\\s+-\\s+-\\s+\\d+s\\s+-\\s+true$`));
    expect(lines[2]).toMatch(new RegExp(`^${b!.f58}\\s+b\\s+-\\s+DEPEND\\s+-\\s+-\\s+\\d+s\\s+${a!.f58}\\s+true$`));
    expect(lines[3]).toMatch(new RegExp(`^${c!.f58}\\s+c\\s+2\\s+DEPEND\\s+-\\s+-\\s+\\d+s\\s+~${a!.f58}\\s+true$`));
    expect(lines[4]).toMatch(/\s3\s+DEPEND\s/);
    // The store's state is NEW (--json says what is stored); once the dependency ended it shows NEW.
    expect((JSON.parse((await jobf(['list', '--json', c!.f58], { cwd })).stdout) as { state: string }[])[0]!.state).toBe('NEW');
    finishJob(db, a!, 0);
    lines = await table();
    expect(lines[3]).toMatch(/\sc\s+2\s+NEW\s/);
    expect((await jobf(['show', c!.f58], { cwd })).stdout).toMatch(/state:\s+NEW\n/);
  });

  it('report: why a job wrote nothing (command not found, a failed dependency), and no listener leak', async () => {
    const { cwd } = workdir();
    const [missing] = ids(await jobf(['submit', '--', 'no-such-command-xyz'], { cwd }));
    const [dep] = ids(await jobf(['submit', '-d', missing!.f58, '--', 'true'], { cwd }));
    ids(await jobf(['submit', '-t', '12', '--', 'echo', 'task {index}'], { cwd }));
    expect((await jobf(['execute'], { cwd })).exitCode).toBe(1);

    const r = await jobf(['report', '--errors-only', missing!.f58, dep!.f58], { cwd });
    expect(r.exitCode).toBe(0);
    const out = r.stdout.split('\n');
    expect(out[1]).toMatch(/^\(no output: exec: .*no-such-command-xyz: command not found\)$/);
    expect(out[4]).toMatch(/^\(no output: dependency: .+\)$/);
    const json = JSON.parse((await jobf(['report', '--json', missing!.f58], { cwd })).stdout) as { exception: { type: string } }[];
    expect(json[0]!.exception.type).toBe('exec');

    // More than 10 jobs, stdout a file (a SyncWriteStream in Node): no MaxListenersExceededWarning.
    const file = join(cwd, 'report.txt');
    const big = await execa(process.execPath, [bin, 'report'], { cwd, env: { ...process.env, JOBF_DB: undefined }, stdout: { file }, reject: false });
    expect(big.exitCode).toBe(0);
    expect(String(big.stderr)).toBe('');
    const text = readFileSync(file, 'utf8');
    for (let i = 1; i <= 12; i++) expect(text).toContain(`task ${i}\n`);
  });

  it('errors are JSON under --json (same exit codes); ids are shown as typed', async () => {
    const { cwd, db } = workdir();
    ids(await jobf(['submit', 'true'], { cwd }));
    const before = dump(db);
    const unknown = await jobf(['--json', 'events', '12345'], { cwd });
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(JSON.parse(unknown.stderr)).toEqual({ error: { code: 'ERR_UNKNOWN_JOB', message: `unknown job id 12345 (not in ${db})` } });
    expect((await jobf(['events', '12345'], { cwd })).stderr).toBe(`jobf: unknown job id 12345 (not in ${db})\n`);
    expect((await jobf(['show', 'f2222222'], { cwd })).stderr).toBe(`jobf: unknown job id f2222222 (not in ${db})\n`);
    for (const [args, code] of [
      [['--json', 'frobnicate'], 'ERR_USAGE'],
      [['list', '--json', '--state', 'sleeping'], 'ERR_USAGE'],
      [['--json', 'submit', '--array', '3-1', 'true'], 'ERR_ARRAY_RANGE'],
      [['--json', 'show', 'nope'], 'ERR_JOBID_PARSE'],
    ] as const) {
      const r = await jobf(args, { cwd });
      expect(r.exitCode).toBe(2);
      const parsed = JSON.parse(r.stderr) as { error: { code: string; message: string } };
      expect(parsed.error.code).toBe(code);
      expect(parsed.error.message).not.toMatch(/^jobf:/);
    }
    expect(dump(db)).toEqual(before);
  });

  it('delete removes everything made for the jobs: outputs, status files, the emptied log folder', async () => {
    const { cwd, db } = workdir();
    const [keep] = ids(await jobf(['submit', '-n', 'keep', 'true'], { cwd }));
    const done = ids(await jobf(['submit', '-t', '2', '--', 'echo', 'hi'], { cwd }));
    expect((await jobf(['execute', ...done.map((d) => d.f58)], { cwd })).exitCode).toBe(0);
    const logDir = join(cwd, '.jobf-logs');
    expect(readdirSync(logDir).filter((n) => n.endsWith('.status'))).toHaveLength(2);

    expect((await jobf(['delete', ...done.map((d) => d.f58)], { cwd })).exitCode).toBe(0);
    // The job left keeps the folder (it will write there).
    expect(readdirSync(logDir)).toEqual([]);
    expect((await jobf(['delete', keep!.f58], { cwd })).exitCode).toBe(0);
    expect(existsSync(logDir)).toBe(false);
    expect(records(db)).toEqual([]);

    // A --log-dir that holds other files, or that is the working folder, stays.
    mkdirSync(join(cwd, 'mine'));
    writeFileSync(join(cwd, 'mine', 'notes.txt'), 'mine');
    const [x] = ids(await jobf(['submit', '-l', 'mine', 'true'], { cwd }));
    const [y] = ids(await jobf(['submit', '-l', '.', 'true'], { cwd }));
    writeFileSync(record(db, x!).stdout!, 'out');
    writeFileSync(record(db, y!).stdout!, 'out');
    expect((await jobf(['delete'], { cwd })).exitCode).toBe(0);
    expect(readdirSync(join(cwd, 'mine'))).toEqual(['notes.txt']);
    expect(readdirSync(cwd).sort()).toEqual(['jobs.db', 'mine']);
  });
});

describe('colour', () => {
  it('states and results are coloured on a terminal (not with NO_COLOR, not when piped)', async (t) => {
    const script = await execa('script', ['--version'], { reject: false });
    if (script.exitCode !== 0) {
      console.warn('!!! SKIPPING the colour test: script(1) is not available');
      t.skip();
      return;
    }
    const { cwd, db } = workdir();
    const [ok] = ids(await jobf(['submit', 'true'], { cwd }));
    const [bad] = ids(await jobf(['submit', 'false'], { cwd }));
    finishJob(db, ok!, 0);
    finishJob(db, bad!, 1 << 8);
    const onTerminal = async (env: Record<string, string | undefined>): Promise<string> =>
      String(
        (await execa('script', ['-qfec', `'${process.execPath}' '${bin}' list`, '/dev/null'], { cwd, env: { ...process.env, JOBF_DB: undefined, NO_COLOR: undefined, ...env }, reject: false, stdin: 'ignore' })).stdout,
      );
    const coloured = await onTerminal({});
    expect(coloured).toContain('\x1b[32mCOMPLETED\x1b[0m');
    expect(coloured).toContain('\x1b[31mFAILED\x1b[0m');
    expect(coloured).toContain('\x1b[32mCOMPLETED\x1b[0m     0'); // padded by what shows
    expect(await onTerminal({ NO_COLOR: '1' })).not.toContain('\x1b[');
    expect((await jobf(['list'], { cwd })).stdout).not.toContain('\x1b[');
  });
});

describe('store permissions (jobf run as nobody)', () => {
  // Root ignores file modes: the commands run as nobody (setpriv), in folders nobody may enter.
  let root = '';
  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });
  async function asNobody(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const r = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, bin, ...args], {
      cwd,
      env: { ...process.env, JOBF_DB: undefined, ...env },
      reject: false,
      stdin: 'ignore',
      stripFinalNewline: false,
    });
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  }
  async function usable(t: { skip: () => void }): Promise<boolean> {
    const probe = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(bin)})`], { reject: false });
    if (process.getuid?.() !== 0 || probe.exitCode !== 0) {
      console.warn(`!!! SKIPPING the store permission tests: they need root and setpriv(1) running node as nobody (${probe.stderr || 'not root'})`);
      t.skip();
      return false;
    }
    return true;
  }
  function store(): { dir: string; db: string; tmp: string } {
    root ||= mkdtempSync(join(tmpdir(), 'jobf-perm-'));
    chmodSync(root, 0o755);
    const dir = mkdtempSync(join(root, 's-'));
    const tmp = mkdtempSync(join(root, 'tmp-'));
    chmodSync(tmp, 0o1777);
    return { dir, db: join(dir, 'jobs.db'), tmp };
  }

  it('a read-only store (file and folder) can be listed, shown and reported; writing says permission denied', async (t) => {
    if (!(await usable(t))) return;
    const { dir, db, tmp } = store();
    const [a] = ids(await jobf(['submit', '-n', 'a', 'true'], { cwd: dir }));
    finishJob(db, a!, 0);
    expect(existsSync(`${db}-shm`)).toBe(false); // closed cleanly: SQLite would need to create it
    chmodSync(db, 0o444);
    chmodSync(dir, 0o555);
    const env = { TMPDIR: tmp };
    const list = await asNobody(['list'], dir, env);
    expect(list.stderr).toBe('');
    expect(list.exitCode).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${a!.f58}\\s+a\\s+-\\s+INACTIVE\\s+COMPLETED`));
    expect((await asNobody(['show', a!.f58], dir, env)).stdout).toContain(`id:         ${a!.f58}`);
    expect((await asNobody(['report', a!.dec], dir, env)).exitCode).toBe(0);
    // An unknown id names the store, not the private copy read.
    expect((await asNobody(['show', '12345'], dir, env)).stderr).toBe(`jobf: unknown job id 12345 (not in ${db})\n`);
    expect(readdirSync(tmp)).toEqual([]); // the copies are gone
    const submit = await asNobody(['submit', 'true'], dir, env);
    expect(submit.exitCode).toBe(2);
    expect(submit.stderr).toBe(`jobf: cannot write the job store ${db}: permission denied (it is read-only; list, show, events and report still work)\n`);
    chmodSync(dir, 0o755);
  });

  it('an unreadable store says permission denied and its path', async (t) => {
    if (!(await usable(t))) return;
    const { dir, db } = store();
    ids(await jobf(['submit', 'true'], { cwd: dir }));
    chmodSync(db, 0o600);
    for (const args of [['list'], ['submit', 'true'], ['delete']]) {
      const r = await asNobody(args, dir);
      expect(r).toEqual({ exitCode: 2, stdout: '', stderr: `jobf: cannot read the job store ${db}: permission denied\n` });
    }
    const json = await asNobody(['--json', 'list'], dir);
    expect(JSON.parse(json.stderr)).toEqual({ error: { code: 'ERR_PERMISSION', message: `cannot read the job store ${db}: permission denied` } });
    // A folder that may not be entered: the same.
    chmodSync(dir, 0o700);
    const hidden = await asNobody(['--db', db, 'list'], tmpdir());
    expect(hidden.stderr).toBe(`jobf: cannot read the job store ${db}: permission denied\n`);
    chmodSync(dir, 0o755);
  });
});
