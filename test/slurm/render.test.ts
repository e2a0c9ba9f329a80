import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REAPER_SOURCE } from '../../src/backends/slurm/profile.js';
import { durationToTimeLimit, renderBatchScript, type BatchScriptInput } from '../../src/backends/slurm/render-batch-script.js';
import { Jobspec } from '../../src/jobspec/index.js';
import { ownJobOf, parseScontrolJobFiles } from '../../src/backends/slurm/script-parse-back.js';

const base: BatchScriptInput = {
  ids: ['ƒAAA'],
  command: ['echo', 'hi'],
  environment: { PATH: '/usr/bin:/bin' },
  name: 'echo',
  logDir: '/shared/logs',
  cwd: '/home/u/work',
  stdout: '/shared/logs/{{id}}.out',
  stderr: '/shared/logs/{{id}}.err',
  numTasks: 1,
  coresPerTask: 1,
  gpusPerTask: 0,
  exclusive: false,
  duration: 0,
  hold: false,
  dependencies: {},
};

describe('durationToTimeLimit (FSD seconds → --time minutes, rounded up)', () => {
  it.each([
    [0, undefined],
    [1, '1'],
    [59.5, '1'],
    [60, '1'],
    [61, '2'],
    [3600, '60'],
    [86400, '1440'],
    [Infinity, undefined],
  ])('%s s → %s', (s, want) => expect(durationToTimeLimit(s)).toBe(want));

  it('takes Jobspec durations given as FSD strings', () => {
    expect(durationToTimeLimit(Jobspec.fromCommand(['true'], { duration: '90s' }).duration)).toBe('2');
    expect(durationToTimeLimit(Jobspec.fromCommand(['true'], { duration: '2h' }).duration)).toBe('120');
    expect(durationToTimeLimit(Jobspec.fromCommand(['true'], { duration: '0.5m' }).duration)).toBe('1');
  });
});

describe('renderBatchScript: sbatch arguments', () => {
  it('has the defaults of a plain job', () => {
    const { sbatchArgs } = renderBatchScript(base);
    expect(sbatchArgs).toEqual([
      '--parsable',
      '--job-name=echo',
      '--chdir=/home/u/work',
      '--ntasks=1',
      '--cpus-per-task=1',
      '--output=/shared/logs/ƒAAA.out',
      '--error=/shared/logs/ƒAAA.err',
      '--export=ALL',
    ]);
  });

  it('maps every resource, placement and control option', () => {
    const { sbatchArgs } = renderBatchScript({
      ...base,
      numTasks: 8,
      coresPerTask: 2,
      gpusPerTask: 1,
      numNodes: 2,
      exclusive: true,
      duration: 61,
      partition: 'debug',
      account: 'proj1',
      hold: true,
      dependencies: { afterok: ['12', '13_4'], afterany: ['14'] },
      stdin: '/in/{{name}}.txt',
      stdout: '/o/{{id}}-{{name}}.log',
      stderr: '/o/{{id}}-{{name}}.log',
    });
    expect(sbatchArgs).toEqual(
      expect.arrayContaining([
        '--ntasks=8',
        '--cpus-per-task=2',
        '--nodes=2',
        '--exclusive',
        '--gpus-per-task=1',
        '--time=2',
        '--partition=debug',
        '--account=proj1',
        '--hold',
        '--dependency=afterok:12:13_4,afterany:14',
        '--kill-on-invalid-dep=yes',
        '--input=/in/echo.txt',
        '--output=/o/ƒAAA-echo.log',
      ]),
    );
    // stdout and stderr to the same file: no --error (Slurm then joins them)
    expect(sbatchArgs.some((a) => a.startsWith('--error'))).toBe(false);
  });

  it("escapes Slurm's filename patterns so paths are taken literally", () => {
    const { sbatchArgs } = renderBatchScript({ ...base, stdout: '/o/100%j/{{id}}', stderr: '/o/a\\b/%x' });
    expect(sbatchArgs).toContain('--output=/o/100%%j/ƒAAA');
    expect(sbatchArgs).toContain('--error=/o/a\\\\b/%x');
  });

  it('replaces control characters in --job-name only', () => {
    const { sbatchArgs } = renderBatchScript({ ...base, name: 'a\nb\tc', stdout: '/o/{{name}}', stderr: '/o/{{name}}' });
    expect(sbatchArgs).toContain('--job-name=a_b_c');
    expect(sbatchArgs).toContain('--output=/o/a\nb\tc');
  });

  it('renders an array with throttle, F58 table and no Slurm output files', () => {
    const { sbatchArgs, script } = renderBatchScript({ ...base, ids: ['ƒA', 'ƒB', 'ƒC'], arrayThrottle: 2 });
    expect(sbatchArgs).toContain('--array=0-2%2');
    expect(sbatchArgs).toContain('--output=/dev/null');
    expect(script).toContain("0) __jf_id='ƒA' ;;");
    expect(script).toContain("2) __jf_id='ƒC' ;;");
    expect(script).toContain(`exec >/shared/logs/"$__jf_id".out 2>/shared/logs/"$__jf_id".err ||`);
  });
});

describe('renderBatchScript: the script', () => {
  it('lists the environment as plain quoted NAME=VALUE lines and skips SLURM*', () => {
    const { script } = renderBatchScript({ ...base, environment: { A: "it's", B: '$(id)\n`x`', SLURM_JOB_ID: '1', 'NOT-A-NAME': 'v', _: '' } });
    expect(script).toContain(`\n__jf_env=(\n  'A=it'\\''s'\n  'B=$(id)\n\`x\`'\n  'NOT-A-NAME=v'\n  '_='\n  JOBFUTURES_JOB_ID="$__jf_id" JOBFUTURES_JOB_SIZE=1 JOBFUTURES_TASK_RANK=0\n)\n`);
    expect(script).not.toContain('SLURM_JOB_ID=');
    expect(script).toContain(`exec "$__jf_perl" -e "$__jf_reaper" -- "$__jf_status" '' \${#__jf_env[@]} "\${__jf_env[@]}" echo hi`);
  });

  it('substitutes {{tmpdir}} and writes files with their mode', () => {
    const spec = Jobspec.fromBatchCommand('#!/bin/sh\necho "100% \\\\ $1"\n', { args: ['x'] });
    const { script } = renderBatchScript({ ...base, command: spec.command, files: spec.files! });
    expect(script).toContain('__jf_tmp="$__jf_log/$__jf_id.d"');
    expect(script).toMatch(/chmod 700 "\$__jf_tmp"\/script/);
    expect(script).toContain(`"$__jf_tmp"/script x`);
  });

  it('runs several tasks with srun and keeps the largest status', () => {
    const { script } = renderBatchScript({ ...base, numTasks: 4, coresPerTask: 2 });
    expect(script).toContain('"$__jf_launcher" --export=ALL --ntasks=4 --cpus-per-task=2 --kill-on-bad-exit=0 --');
    expect(script).toContain('"+$__jf_status" +t "+${#__jf_env[@]}" "${__jf_env[@]/#/+}" +echo +hi');
  });

  it('is valid bash', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jf-render-'));
    for (const input of [base, { ...base, ids: ['ƒA', 'ƒB'] }, { ...base, numTasks: 3 }]) {
      const file = path.join(dir, 'script.sh');
      execFileSync('bash', ['-c', 'cat >"$1"; bash -n "$1"', 'bash', file], { input: renderBatchScript(input).script });
      expect(readFileSync(file, 'utf8')).toMatch(/^#!\/bin\/bash\n/);
    }
  });

  it('writes files byte-exact when the script runs (outside Slurm)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jf-render-'));
    const data = '#!/bin/sh\nprintf "%s|" "$@"\nprintf \'%s\\n\' \'100% \\\\ $HOME `x`\'\n# \u0001\u00e9\n';
    const binary = Buffer.from([0, 1, 2, 0x25, 0x5c, 0x80, 0xff, 10]);
    const { script } = renderBatchScript({
      ...base,
      logDir: dir,
      cwd: dir,
      command: ['{{tmpdir}}/script', 'a b', "c'd"],
      environment: { PATH: '/usr/bin:/bin' },
      files: { script: { data, mode: 0o755 }, 'bin.dat': { data: binary.toString('base64'), encoding: 'base64' }, dash: { data: '-n %s\\c' } },
    });
    const out = execFileSync('bash', ['-s'], { input: script, encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
    expect(out).toBe(`a b|c'd|100% \\\\ $HOME \`x\`\n`);
    expect(readFileSync(path.join(dir, 'ƒAAA.d', 'script'), 'utf8')).toBe(data);
    expect(readFileSync(path.join(dir, 'ƒAAA.d', 'bin.dat'))).toEqual(binary);
    expect(readFileSync(path.join(dir, 'ƒAAA.d', 'dash'), 'utf8')).toBe('-n %s\\c');
    expect(readFileSync(path.join(dir, 'ƒAAA.status'), 'utf8')).toBe('0\n');
  });
});

describe("Slurm's reaper (Perl), outside Slurm (the status table: test/batch/job-script.test.ts)", () => {
  const reaper = (dir: string, argv: string[], env: Record<string, string> = {}) => {
    const r = spawnSync('perl', ['-e', REAPER_SOURCE, '--', path.join(dir, 'st'), '', '1', 'PATH=/usr/bin:/bin', ...argv], { encoding: 'utf8', env: { ...env, PATH: '/usr/bin:/bin' } });
    const status = existsSync(path.join(dir, 'st')) ? readFileSync(path.join(dir, 'st'), 'utf8') : undefined;
    return { ...r, statusFile: status, startedMarker: existsSync(path.join(dir, 'st.started')) };
  };

  it('compiles', () => {
    expect(spawnSync('perl', ['-c', '-e', REAPER_SOURCE], { encoding: 'utf8' }).status).toBe(0);
  });

  it('gives the command exactly SLURM* plus the listed environment', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jf-reaper-'));
    const r = reaper(dir, ['env'], { SLURM_JOB_ID: '7', OTHER: 'x', SLURMD_NODENAME: 'n' });
    expect(r.stdout.trim().split('\n').sort()).toEqual(['PATH=/usr/bin:/bin', 'SLURMD_NODENAME=n', 'SLURM_JOB_ID=7']);
  });
});

describe('reading our scripts back (recovery, adopted jobs)', () => {
  it('finds the F58 id of a job and of an array task, and whether it keeps the default outputs', () => {
    const one = renderBatchScript(base).script;
    expect(ownJobOf(one, '123')).toEqual({ logDir: '/shared/logs', f58: 'ƒAAA', defaultOutputs: false });
    const array = renderBatchScript({ ...base, ids: ['ƒA', 'ƒB', 'ƒC'] }).script;
    expect(ownJobOf(array, '124_2')).toEqual({ logDir: '/shared/logs', f58: 'ƒC', defaultOutputs: true });
    expect(ownJobOf(array, '124_3')).toBeUndefined();
    expect(ownJobOf(renderBatchScript({ ...base, logDir: "/l o g's" }).script, '1')).toBeUndefined(); // not a simple word: not guessed
    expect(ownJobOf('#!/bin/bash\necho hi\n', '1')).toBeUndefined();
  });

  it("parses scontrol's file fields (fixtures/scontrol-job-failed.txt)", () => {
    expect(parseScontrolJobFiles(readFileSync(path.join(import.meta.dirname, 'fixtures', 'scontrol-job-failed.txt'), 'utf8'))).toEqual({ stdout: '/dev/null', stderr: '/dev/null', script: undefined });
    expect(parseScontrolJobFiles('JobId=5 Command=/l/ƒA.sbatch WorkDir=/w StdErr=/l/ƒA.err StdIn=/dev/null StdOut=/l/ƒA.out')).toEqual({ stdout: '/l/ƒA.out', stderr: '/l/ƒA.err', script: '/l/ƒA.sbatch' });
  });
});
