import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/util/errors.js';
import {
  SGE_REAPER_SOURCE,
  directivePathProblem,
  durationToHardRuntime,
  isSgeJobVariable,
  renderSgeScript,
  sgeJobName,
  sgeQuote,
  statusPath,
  type SgeScriptInput,
} from '../../src/backends/sge/render-script.js';
import { describeSge, qsub, qstatState, sge, waitEnded } from './cluster.js';

const base: SgeScriptInput = {
  ids: ['ƒAAA'],
  command: ['echo', 'hi'],
  environment: { PATH: '/usr/bin:/bin' },
  name: 'echo',
  logDir: '/shared/log dir',
  cwd: '/home/u/work',
  stdout: '/shared/out/{{id}}.out',
  stderr: '/shared/out/{{id}}.err',
  slots: 1,
  duration: 0,
  hold: false,
  dependencies: [],
};

/** The `#$` lines of a script, and whether they all sit in one block right after the `#!` line. */
function directiveLines(script: string): { lines: string[]; contiguous: boolean } {
  const all = script.split('\n');
  const idx = all.flatMap((l, i) => (l.startsWith('#$') ? [i] : []));
  return { lines: idx.map((i) => all[i]!), contiguous: idx.every((i, k) => i === k + 1) };
}

describe('renderSgeScript: directives', () => {
  it('has the defaults of a plain job', () => {
    const { qsubArgs, script } = renderSgeScript(base);
    expect(qsubArgs).toEqual(['-terse']);
    expect(directiveLines(script)).toEqual({
      lines: ['#$ -S /bin/bash', '#$ -N echo', '#$ -wd "/shared/log dir"', '#$ -o /dev/null', '#$ -e /dev/null', '#$ -r n'],
      contiguous: true,
    });
  });

  it('maps every resource and control option', () => {
    const { script } = renderSgeScript({
      ...base,
      ids: ['ƒA', 'ƒB', 'ƒC'],
      slots: 4,
      parallelEnvironment: 'mpi',
      duration: 61.2,
      queue: 'all.q',
      project: 'proj1',
      hold: true,
      dependencies: ['12', '13'],
      arrayThrottle: 2,
    });
    expect(directiveLines(script).lines).toEqual(
      expect.arrayContaining(['#$ -l h_rt=62', '#$ -pe mpi 4', '#$ -q all.q', '#$ -P proj1', '#$ -h', '#$ -hold_jid 12,13', '#$ -t 1-3', '#$ -tc 2']),
    );
    expect(renderSgeScript({ ...base, slots: 2 }).script).toContain('\n#$ -pe smp 2\n');
    expect(script).toContain("1) __jf_id='ƒA' ;;");
    expect(script).toContain("3) __jf_id='ƒC' ;;");
  });

  it('keeps every line of a value off column 0: no value can add a directive', () => {
    const evil = 'x\n#$ -q nosuch.q\n#$ -N injected';
    const { script } = renderSgeScript({
      ...base,
      command: ['echo', evil],
      environment: { A: evil },
      name: evil,
      cwd: `/w/${evil}`,
      stdout: `/o/${evil}/{{id}}`,
      stderr: `/o/${evil}/{{name}}`,
      stdin: `/i/${evil}`,
    });
    const d = directiveLines(script);
    expect(d.contiguous).toBe(true);
    expect(d.lines).toHaveLength(6);
    expect(d.lines[1]).toBe(`#$ -N ${sgeJobName(evil)}`);
    expect(d.lines.some((l) => /^#\$ -q/.test(l))).toBe(false);
  });

  it('refuses what cannot be said to Grid Engine', () => {
    for (const logDir of ['rel/dir', '/a:b', '/a,b', '/a$HOME', '/a"b', "/a'b", '/a\nb']) {
      expect(() => renderSgeScript({ ...base, logDir })).toThrow(InvalidArgumentError);
    }
    expect(() => renderSgeScript({ ...base, queue: 'a q' })).toThrow(/queue/);
    expect(() => renderSgeScript({ ...base, project: 'p"' })).toThrow(/project/);
    expect(() => renderSgeScript({ ...base, dependencies: ['12.1'] })).toThrow(/dependencies/);
    expect(() => renderSgeScript({ ...base, ids: [] })).toThrow(RangeError);
    expect(() => renderSgeScript({ ...base, slots: 0 })).toThrow(RangeError);
    expect(directivePathProblem('/shared/log dir/x#y')).toBeUndefined();
  });
});

describe('sgeJobName, durationToHardRuntime, isSgeJobVariable, sgeQuote', () => {
  it.each([
    ['echo', 'echo'],
    ['a b', 'a_b'],
    ['a:b@c/d\\e*f?g', 'a_b_c_d_e_f_g'],
    [`q"u'o<te`, 'q_u_o_te'],
    ['ünï€', '_n__'],
    ['1abc', '_1abc'],
    ['-x', '_-x'],
    ['', 'job'],
    ['a&b>c,d$e#f', 'a&b>c,d_e_f'],
  ])('%j → %j', (name, want) => expect(sgeJobName(name)).toBe(want));

  it('caps names at 512 characters', () => expect(sgeJobName('x'.repeat(600))).toHaveLength(512));

  it.each([
    [0, undefined],
    [1, 1],
    [1.2, 2],
    [3600, 3600],
    [Infinity, undefined],
    [-1, undefined],
  ])('h_rt of %s s → %s', (s, want) => expect(durationToHardRuntime(s)).toBe(want));

  it('knows the variables Grid Engine sets', () => {
    for (const v of ['SGE_TASK_ID', 'SGE_O_HOME', 'JOB_ID', 'NSLOTS', 'PE_HOSTFILE', 'TMPDIR']) expect(isSgeJobVariable(v)).toBe(true);
    for (const v of ['PATH', 'HOME', 'SLURM_JOB_ID', 'JOB', 'SGE']) expect(isSgeJobVariable(v)).toBe(false);
  });

  it('quotes onto one line, byte-exact through bash', () => {
    for (const s of ['a\nb', "it's\n\r$x`y`", '\n', '#$ -N x']) {
      const q = sgeQuote(s);
      expect(q).not.toContain('\n');
      expect(execFileSync('bash', ['-c', `printf %s ${q}`], { encoding: 'utf8' })).toBe(s);
    }
  });
});

describe('renderSgeScript: the script, outside Grid Engine', () => {
  it('is valid bash, and the reaper compiles and keeps Grid Engine variables', () => {
    for (const input of [base, { ...base, ids: ['ƒA', 'ƒB'] }, { ...base, stdin: '/in', stderr: base.stdout }]) {
      const r = spawnSync('bash', ['-n'], { input: renderSgeScript(input).script, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
    expect(spawnSync('perl', ['-c', '-e', SGE_REAPER_SOURCE], { encoding: 'utf8' }).status).toBe(0);
    expect(SGE_REAPER_SOURCE).toMatch(/grep \{ \/\^\(\?:SGE_\|[^}]*JOB_ID\$\|[^}]*NSLOTS\$/);
    expect(SGE_REAPER_SOURCE).not.toContain('/^SLURM/');
  });

  it('runs under plain bash: argv exact, exit 100 becomes 1, the status file holds the real status', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jf-sge-render-'));
    const { script } = renderSgeScript({
      ...base,
      logDir: dir,
      cwd: dir,
      stdout: `${dir}/{{id}}.out`,
      stderr: `${dir}/{{id}}.out`,
      command: ['perl', '-e', 'print join("|", @ARGV), "\\n"; exit 100', 'a b', "c'd", ''],
    });
    // A file, not `bash -s`: the script's `exec <stdin` would cut bash off from its own text.
    writeFileSync(path.join(dir, 'job.sh'), script);
    const r = spawnSync('bash', [path.join(dir, 'job.sh')], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', JOB_ID: '5', OTHER: 'x' } });
    expect(r.status).toBe(1);
    expect(readFileSync(path.join(dir, 'ƒAAA.out'), 'utf8')).toBe("a b|c'd|\n");
    expect(readFileSync(statusPath(dir, 'ƒAAA'), 'utf8')).toBe(`${100 << 8}\n`);
    expect(existsSync(`${statusPath(dir, 'ƒAAA')}.started`)).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });
});

// ------------------------------------------------------------------------------ real engine

const root = mkdtempSync(path.join(tmpdir(), 'jf-sge-render-'));
const logDir = path.join(root, 'log dir');
mkdirSync(logDir);
afterAll(() => {
  if (!process.env.JF_KEEP_LOGS) rmSync(root, { recursive: true, force: true });
});

let serial = 0;
/** Renders, writes and submits a job script; resolves with the Grid Engine job id. */
async function submit(over: Partial<SgeScriptInput>): Promise<{ jobId: string; input: SgeScriptInput }> {
  const ids = over.ids ?? [`ƒT${++serial}`];
  const input: SgeScriptInput = {
    ...base,
    logDir,
    cwd: root,
    stdout: `${logDir}/{{id}}.out`,
    stderr: `${logDir}/{{id}}.err`,
    ...over,
    ids,
  };
  const file = path.join(logDir, `${ids[0]}.sh`);
  writeFileSync(file, renderSgeScript(input).script);
  return { jobId: await qsub(file), input };
}

const status = (f58: string) => readFileSync(statusPath(logDir, f58), 'utf8');

await describeSge('renderSgeScript on the real Grid Engine', () => {
  it('gives the command its argv and environment byte-exact, plus Grid Engine variables', async () => {
    const args = ["it's", '$HOME', '`id`', '$(id)', 'a\nb', '#$ -N injected', 'ünï€😀', '', '-x', 'a b', '\\', '"', 'cr\r\nlf', '*', '%s %%'];
    const env = {
      PATH: '/usr/bin:/bin',
      A: `it's "q" $x \`y\` \\`,
      NL: 'l1\n#$ -q nosuch.q\nl3',
      U: 'ü€😀',
      EMPTY: '',
      'WEIRD-NAME': 'v',
      SGE_TASK_ID: '7',
      JOB_ID: 'stale',
      NSLOTS: '99',
    };
    const cwd = path.join(root, 'work dir: $HOME, "q"');
    mkdirSync(cwd);
    const name = 'my job: ü "x" $HOME';
    const { jobId, input } = await submit({
      // Hex lines: "A" + each argument, "E" + each NAME=VALUE (arguments may be empty or hold newlines).
      command: ['perl', '-e', 'use Cwd; print map({ "A" . unpack("H*", $_) . "\\n" } getcwd(), @ARGV), map({ "E" . unpack("H*", "$_=$ENV{$_}") . "\\n" } sort keys %ENV)', ...args],
      environment: env,
      name,
      cwd,
      slots: 2,
      stdout: `${cwd}/out {{name}} {{id}}.bin`,
    });
    const [rec] = await waitEnded(jobId);
    expect(rec).toMatchObject({ failed: 0, exitStatus: 0, slots: 2, jobName: sgeJobName(name) });
    const f58 = input.ids[0]!;
    expect(status(f58)).toBe('0\n');
    const lines = readFileSync(`${cwd}/out ${name} ${f58}.bin`, 'utf8').trim().split('\n');
    const unhex = (l: string) => Buffer.from(l.slice(1), 'hex').toString('utf8');
    expect(lines.filter((l) => l.startsWith('A')).map(unhex)).toEqual([cwd, ...args]);
    const seen = Object.fromEntries(lines.filter((l) => l.startsWith('E')).map(unhex).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    const ours = Object.fromEntries(Object.entries(seen).filter(([k]) => !isSgeJobVariable(k) || k === 'SGE_TASK_ID'));
    expect(ours).toEqual({
      PATH: env.PATH,
      A: env.A,
      NL: env.NL,
      U: env.U,
      EMPTY: '',
      'WEIRD-NAME': 'v',
      SGE_TASK_ID: '7',
      JOBFUTURES_JOB_ID: f58,
      JOBFUTURES_JOB_SIZE: '1',
      JOBFUTURES_TASK_RANK: '0',
    });
    // Grid Engine's own values win over stale ones from the spec.
    expect(seen).toMatchObject({ JOB_ID: jobId, NSLOTS: '2', PE: 'smp', SGE_CELL: 'default' });
  });

  it.each([
    [100, 100 << 8],
    [99, 99 << 8],
    [3, 3 << 8],
  ])('exit %d ends as a normal job (no Eqw, no requeue); the status file holds %d', async (code, ws) => {
    const { jobId, input } = await submit({ command: ['sh', '-c', `exit ${code}`] });
    const recs = await waitEnded(jobId);
    expect(recs).toHaveLength(1);
    expect(recs[0]).toMatchObject({ failed: 0, exitStatus: code === 3 ? 3 : 1 });
    expect(status(input.ids[0]!)).toBe(`${ws}\n`);
  });

  it.each([
    ['TERM', 15],
    ['KILL', 9],
    ['SEGV', 11],
  ])('a command killed by SIG%s: status file %d, the job ends normally', async (sig, n) => {
    const { jobId, input } = await submit({ command: ['sh', '-c', `kill -${sig} $$`] });
    const [rec] = await waitEnded(jobId);
    expect(status(input.ids[0]!)).toBe(`${n}\n`);
    expect(rec!.exitStatus).toBe(128 + n);
    expect([0, 100]).toContain(rec!.failed);
  });

  it('runs each array task as its own job', async () => {
    const ids = ['ƒArrA', 'ƒArrB', 'ƒArrC'];
    const { jobId } = await submit({ ids, command: ['sh', '-c', 'echo "$JOBFUTURES_JOB_ID $SGE_TASK_ID"; exit $SGE_TASK_ID'], arrayThrottle: 2 });
    const recs = await waitEnded(jobId, 60_000, 3);
    expect(recs.map((r) => r.taskId).sort()).toEqual([1, 2, 3]);
    ids.forEach((id, i) => {
      expect(readFileSync(path.join(logDir, `${id}.out`), 'utf8')).toBe(`${id} ${i + 1}\n`);
      expect(status(id)).toBe(`${(i + 1) << 8}\n`);
    });
  });

  it('a missing working directory or command ends the job with the reason, not in Eqw', async () => {
    const a = await submit({ cwd: path.join(root, 'no such dir'), command: ['true'] });
    const b = await submit({ command: ['no-such-command-jf'] });
    const c = await submit({ stdout: path.join(root, 'no such dir', '{{id}}.out'), command: ['true'] });
    await waitEnded(a.jobId);
    await waitEnded(b.jobId);
    await waitEnded(c.jobId);
    expect(status(a.input.ids[0]!)).toBe(`32512\nexec cwd ${path.join(root, 'no such dir')}: no such directory\n`);
    expect(status(b.input.ids[0]!)).toBe('32512\nexec no-such-command-jf: command not found\n');
    expect(status(c.input.ids[0]!)).toBe(`32512\nexec cannot open the job's stdin, stdout or stderr\n`);
  });

  it('feeds stdin from the given file and joins stderr into stdout', async () => {
    writeFileSync(path.join(root, 'in put.txt'), 'line one\n');
    const { jobId, input } = await submit({ command: ['sh', '-c', 'read l; echo "got $l"; echo err >&2'], stdin: `${root}/in put.txt`, stderr: `${logDir}/{{id}}.out` });
    await waitEnded(jobId);
    expect(readFileSync(path.join(logDir, `${input.ids[0]}.out`), 'utf8')).toBe('got line one\nerr\n');
  });

  it('holds, waits for a dependency, and is released', async () => {
    const first = await submit({ hold: true, command: ['true'] });
    const second = await submit({ dependencies: [first.jobId], command: ['true'] });
    expect(await qstatState(first.jobId)).toEqual(['hqw']);
    expect(await qstatState(second.jobId)).toEqual(['hqw']);
    await sge('qrls', [first.jobId]);
    await waitEnded(first.jobId);
    const [rec] = await waitEnded(second.jobId);
    expect(rec!.startTime).toBeGreaterThan(0);
    expect(status(second.input.ids[0]!)).toBe('0\n');
  });

  it('kills the job at its h_rt: no status file, accounting says failed 37', async () => {
    const { jobId, input } = await submit({ duration: 1, command: ['sleep', '60'] });
    const [rec] = await waitEnded(jobId);
    expect(rec).toMatchObject({ failed: 37, exitStatus: 137, signal: 9 });
    expect(existsSync(statusPath(logDir, input.ids[0]!))).toBe(false);
    expect(existsSync(`${statusPath(logDir, input.ids[0]!)}.started`)).toBe(true);
  });
});
