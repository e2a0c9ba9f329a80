/** Parsers on real Slurm 22.05 output captured by fixtures/capture.sh, and the state mapping. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  exitCodeToWaitStatus,
  expandArrayTaskIds,
  parseSacct,
  parseSbatchParsable,
  parseScontrolConfig,
  parseSqueue,
  squeueRowKeys,
} from '../../src/backends/slurm/parse.js';
import { isFinalSlurmState, slurmState } from '../../src/backends/slurm/state-map.js';
import { lastLine } from '../../src/backends/batch/text.js';

const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, 'fixtures', name), 'utf8');
const ids = Object.fromEntries(
  fixture('jobs.txt')
    .trim()
    .split('\n')
    .map((l) => l.split('=') as [string, string]),
);

describe('parseSqueue (fixtures/squeue-mixed.txt)', () => {
  const { rows, skipped } = parseSqueue(fixture('squeue-mixed.txt'));
  const byKey = new Map(rows.flatMap((r) => squeueRowKeys(r).map((k) => [k, r] as const)));
  const get = (key: string) => {
    const row = byKey.get(key);
    if (!row) throw new Error(`no row for ${key}`);
    return row;
  };

  it('reads every line', () => {
    expect(skipped).toBe(0);
    expect(rows).toHaveLength(13);
  });

  it('reads states, raw wait statuses, nodes and reasons', () => {
    expect(get(ids.ok!)).toMatchObject({ state: 'COMPLETED', exitCode: 0, nodeList: 'vm', reason: 'None', arrayJobId: undefined, arrayTaskIds: [] });
    expect(get(ids.fail!)).toMatchObject({ state: 'FAILED', exitCode: 768, reason: 'NonZeroExitCode' });
    expect(get(ids.segv!)).toMatchObject({ state: 'FAILED', exitCode: 11, reason: 'JobLaunchFailure' });
    expect(get(ids.run!)).toMatchObject({ state: 'RUNNING', nodeList: 'vm' });
    expect(get(ids.cxrun!)).toMatchObject({ state: 'CANCELLED', exitCode: 15, nodeList: 'vm' });
    expect(get(ids.cxpend!)).toMatchObject({ state: 'CANCELLED', exitCode: 0, nodeList: '', reason: 'JobHeldUser' });
    expect(get(ids.held!)).toMatchObject({ state: 'PENDING', reason: 'JobHeldUser' });
    expect(get(ids.to!)).toMatchObject({ state: 'TIMEOUT', reason: 'TimeLimit', exitCode: 143 << 8 });
    expect(get(ids.dep!)).toMatchObject({ state: 'CANCELLED', reason: 'DependencyNeverSatisfied', nodeList: '' });
  });

  it('finds array tasks under <arrayid>_<index>, pending ranges and started tasks alike', () => {
    const arr = ids.arr!;
    expect(get(`${arr}_0`)).toMatchObject({ state: 'RUNNING', arrayJobId: arr, arrayTaskIds: [0] });
    expect(get(`${arr}_0`).jobId).not.toBe(arr);
    expect(get(`${arr}_1`).state).toBe('RUNNING');
    for (let i = 2; i <= 9; i++) expect(get(`${arr}_${i}`)).toMatchObject({ state: 'PENDING', reason: 'JobArrayTaskLimit', jobId: arr });
    expect(byKey.has(`${arr}_10`)).toBe(false);
    const sparse = ids.sparse!;
    for (let i = 1; i <= 20; i++) expect(get(`${sparse}_${i * i}`).state).toBe('PENDING');
    expect(byKey.has(`${sparse}_2`)).toBe(false);
  });

  it('skips malformed lines instead of throwing', () => {
    const r = parseSqueue('garbage\n\n12|12|N/A|RUNNING|0|n1|None|\nslurm_load_jobs error: x\n');
    expect(r.rows).toHaveLength(1);
    expect(r.skipped).toBe(2);
  });

  it('keeps a reason that contains the separator', () => {
    expect(parseSqueue('7|7|N/A|PENDING|0||a|b|\n').rows[0]!.reason).toBe('a|b');
  });
});

describe('expandArrayTaskIds', () => {
  it.each([
    ['7', [7]],
    ['2-5', [2, 3, 4, 5]],
    ['2-5%2', [2, 3, 4, 5]],
    ['1,4,9', [1, 4, 9]],
    ['1-7:3', [1, 4, 7]],
    ['0,3-4,10-14:2', [0, 3, 4, 10, 12, 14]],
    ['1,4,...', []],
    ['5-2', []],
    ['', []],
  ])('%s', (expr, want) => expect(expandArrayTaskIds(expr)).toEqual(want));
});

describe('other parsers', () => {
  it('sbatch --parsable (fixtures/sbatch-parsable.txt), with a cluster suffix and warnings', () => {
    expect(parseSbatchParsable(fixture('sbatch-parsable.txt'))).toBe(ids.ok);
    expect(parseSbatchParsable('1234;cluster2\n')).toBe('1234');
    expect(parseSbatchParsable('sbatch: warning: x\n99\n')).toBe('99');
    expect(parseSbatchParsable('')).toBeUndefined();
  });

  it("sbatch's error (fixtures/sbatch-bad-partition.err): the last line is the one reported", () => {
    expect(lastLine(fixture('sbatch-bad-partition.err'))).toBe('sbatch: error: Batch job submission failed: Invalid partition name specified');
  });

  it('scontrol show config (fixtures/scontrol-config.txt)', () => {
    const conf = parseScontrolConfig(fixture('scontrol-config.txt'));
    expect(conf.get('MaxArraySize')).toBe('10001');
    expect(conf.get('AccountingStorageType')).toBe('accounting_storage/none');
    expect(conf.get('MinJobAge')).toBe('3600 sec');
    expect(conf.get('SchedulerParameters')).toBe('batch_sched_delay=0');
  });

  it('ExitCode exit:signal → wait status (fixtures/scontrol-job-failed.txt)', () => {
    const exit = /ExitCode=(\S+)/.exec(fixture('scontrol-job-failed.txt'))![1]!;
    expect(exitCodeToWaitStatus(exit)).toBe(768);
    expect(exitCodeToWaitStatus('0:0')).toBe(0);
    expect(exitCodeToWaitStatus('0:9')).toBe(9);
    expect(exitCodeToWaitStatus('0:15')).toBe(15);
    expect(exitCodeToWaitStatus('x')).toBeUndefined();
  });

  it('sacct -X -n -P -o JobID,State,ExitCode', () => {
    const m = parseSacct('12|COMPLETED|0:0\n13_2|FAILED|3:0\n14|CANCELLED by 0|0:15\n15|TIMEOUT|0:0\n');
    expect(m.get('12')).toEqual({ state: 'COMPLETED', waitstatus: 0 });
    expect(m.get('13_2')).toEqual({ state: 'FAILED', waitstatus: 768 });
    expect(m.get('14')).toEqual({ state: 'CANCELLED', waitstatus: 15 });
  });

});

describe('slurmState', () => {
  it.each([
    ['PENDING', 'pending', 'SCHED', undefined],
    ['CONFIGURING', 'pending', 'SCHED', undefined],
    ['RUNNING', 'running', 'RUN', undefined],
    ['COMPLETING', 'running', 'RUN', undefined],
    ['COMPLETED', 'final', 'INACTIVE', 'COMPLETED'],
    ['FAILED', 'final', 'INACTIVE', 'FAILED'],
    ['NODE_FAIL', 'final', 'INACTIVE', 'FAILED'],
    ['BOOT_FAIL', 'final', 'INACTIVE', 'FAILED'],
    ['OUT_OF_MEMORY', 'final', 'INACTIVE', 'FAILED'],
    ['CANCELLED', 'final', 'INACTIVE', 'CANCELED'],
    ['CANCELLED by 0', 'final', 'INACTIVE', 'CANCELED'],
    ['TIMEOUT', 'final', 'INACTIVE', 'TIMEOUT'],
    ['DEADLINE', 'final', 'INACTIVE', 'TIMEOUT'],
    ['PREEMPTED', 'requeued', 'SCHED', undefined],
    ['REQUEUED', 'requeued', 'SCHED', undefined],
    ['CD', 'final', 'INACTIVE', 'COMPLETED'],
    ['R', 'running', 'RUN', undefined],
    ['SOMETHING_NEW', 'pending', 'SCHED', undefined],
  ])('%s → %s %s %s', (state, phase, jobState, result) => {
    const info = slurmState(state);
    expect(info.phase).toBe(phase);
    expect(info.jobState).toBe(jobState);
    expect(info.result).toBe(result);
  });

  it('every state of the fixture maps to a known phase', () => {
    for (const row of parseSqueue(fixture('squeue-mixed.txt')).rows) expect(slurmState(row.state)).toBeDefined();
    expect(isFinalSlurmState('COMPLETED')).toBe(true);
    expect(isFinalSlurmState('RUNNING')).toBe(false);
  });
});
