import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  expandTaskRange,
  isQmasterUnreachable,
  parseAccountingFile,
  parseAccountingLine,
  parseJobCommandReplies,
  parseQacct,
  parseQstatJobXml,
  parseQstatXml,
  parseQsubTerse,
  qsubErrorLine,
  qstatRowKeys,
  type QstatRow,
} from '../../src/backends/sge/parse.js';
import { accountingOutcome, sgeState } from '../../src/backends/sge/state-map.js';
import { decodeXmlEntities, parseXml } from '../../src/backends/sge/xml.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const fx = (name: string) => readFileSync(path.join(dir, name), 'utf8');
const brief = (rows: QstatRow[]) => rows.map((r) => `${r.jobId}${r.taskIds.length ? `[${r.taskIds.join(',')}]` : ''} ${r.state}`);

describe('qsubErrorLine', () => {
  it('keeps the reason, not the trailing Exiting. line', () => {
    expect(qsubErrorLine('Unable to run job: Job was rejected because job requests unknown queue "q"\nExiting.\n')).toBe('Unable to run job: Job was rejected because job requests unknown queue "q"');
    expect(qsubErrorLine('warning: x\nqsub: bad option\n')).toBe('qsub: bad option');
    expect(qsubErrorLine('Exiting.\n')).toBe('Exiting.');
    expect(qsubErrorLine('')).toBe('');
  });
});

describe('parseQsubTerse', () => {
  it('reads a job id and array ranges from real output', () => {
    expect(parseQsubTerse(fx('qsub-terse.txt'))).toEqual({ jobId: '2' });
    expect(parseQsubTerse(fx('qsub-terse-array.txt'))).toEqual({ jobId: '3', tasks: { first: 1, last: 5, step: 1 } });
    expect(parseQsubTerse(fx('qsub-terse-array-step.txt'))).toEqual({ jobId: '4', tasks: { first: 2, last: 10, step: 3 } });
  });

  it('takes the last line (warnings come first) and refuses what is not an id', () => {
    expect(parseQsubTerse('warning: something\n17\n')).toEqual({ jobId: '17' });
    expect(parseQsubTerse(fx('qsub-verbose.txt'))).toBeUndefined();
    expect(parseQsubTerse(fx('qsub-qmaster-down.stdout'))).toBeUndefined();
    expect(parseQsubTerse('')).toBeUndefined();
    expect(parseQsubTerse('12.x\n')).toBeUndefined();
  });
});

describe('expandTaskRange', () => {
  it.each([
    ['7', [7]],
    ['1-5:1', [1, 2, 3, 4, 5]],
    ['2-10:3', [2, 5, 8]],
    ['1,4', [1, 4]],
    ['1-3:1,7', [1, 2, 3, 7]],
    ['3-1:1', []],
    ['1-5:0', []],
    ['a', []],
    ['', []],
  ])('%j → %j', (expr, want) => expect(expandTaskRange(expr)).toEqual(want));
});

describe('parseQstatXml on real output', () => {
  it('reads running, pending, held, error and array rows', () => {
    const { rows, skipped } = parseQstatXml(fx('qstat-mixed.xml'));
    expect(skipped).toBe(0);
    expect(brief(rows)).toEqual([
      '10[1] r',
      '10[2] r',
      '45 r',
      '11 qw',
      '12 Eqw',
      '13 Eqw',
      '8 hqw',
      '9[1,2,3,4,5] hqw',
      '10[3,4,5] qw',
      '46 hqw',
      '47[1,2,3] hqw',
    ]);
    const run = rows.find((r) => r.jobId === '45')!;
    expect(run).toMatchObject({ listState: 'running', queue: 'all.q@vm', slots: 1 });
    // SGE writes '<' as '%lt;' (not an entity): left as written; the others are decoded.
    expect(run.name).toBe(`run&%lt;>"'x`);
    expect(rows.find((r) => r.jobId === '11')).toMatchObject({ listState: 'pending', queue: '', slots: 20, name: 'big' });
  });

  it('reads array holes, requeued, suspended and deleting states', () => {
    expect(brief(parseQstatXml(fx('qstat-array-holes.xml')).rows)).toContain('48[1,4] hqw');
    expect(brief(parseQstatXml(fx('qstat-requeued-Rq.xml')).rows)).toContain('51 Rq');
    expect(brief(parseQstatXml(fx('qstat-restarted-Rr.xml')).rows)).toContain('51 Rr');
    expect(brief(parseQstatXml(fx('qstat-suspended.xml')).rows)).toEqual(expect.arrayContaining(['84 s', '85[2] s', '85[1] r']));
    const states = parseQstatXml(fx('qstat-deleting-dr.xml')).rows.map((r) => r.state);
    expect(states).toEqual(expect.arrayContaining(['dr', 'ds']));
  });

  it('gives no rows for an empty queue or for nothing at all (qmaster down prints nothing)', () => {
    expect(parseQstatXml(fx('qstat-empty.xml'))).toEqual({ rows: [], skipped: 0 });
    expect(parseQstatXml(fx('qstat-qmaster-down.stdout'))).toEqual({ rows: [], skipped: 0 });
  });

  it('tells dependency holds from user holds with qstat -s hj / -s hu', () => {
    expect(brief(parseQstatXml(fx('qstat-hold-jid.xml')).rows)).toEqual(['46 hqw', '47[1,2,3] hqw']);
    expect(brief(parseQstatXml(fx('qstat-hold-user.xml')).rows)).toEqual(['8 hqw', '9[1,2,3,4,5] hqw']);
  });

  it('is tolerant: skips job lists without id or state, survives truncation', () => {
    const xml = '<job_info><job_list state="running"><JB_job_number>x</JB_job_number><state>r</state></job_list>' +
      '<job_list state="pending"><JB_job_number>5</JB_job_number><JB_name>a&amp;b&#60;&#x3e;</JB_name><state>qw</state><tasks>1-2:1</tasks>';
    const { rows, skipped } = parseQstatXml(xml);
    expect(skipped).toBe(1);
    expect(rows).toEqual([{ jobId: '5', taskIds: [1, 2], state: 'qw', listState: 'pending', name: 'a&b<>', slots: undefined, queue: '' }]);
  });

  it('keys rows by job and by job.task', () => {
    const rows = parseQstatXml(fx('qstat-mixed.xml')).rows;
    expect(qstatRowKeys(rows.find((r) => r.jobId === '47')!)).toEqual(['47', '47.1', '47.2', '47.3']);
    expect(qstatRowKeys(rows.find((r) => r.jobId === '11')!)).toEqual(['11']);
  });
});

describe('xml', () => {
  it('decodes the named and numeric entities only', () => {
    expect(decodeXmlEntities('&amp;&lt;&gt;&quot;&apos;&#233;&#x20AC;&nbsp;&;%lt;')).toBe(`&<>"'é€&nbsp;&;%lt;`);
  });

  it('parses attributes, self-closing tags and ignores declarations and comments', () => {
    const doc = parseXml(`<?xml version='1.0'?><!-- c --><a x="1&amp;2" y='z'><b/><c>t</c></a>`);
    const a = doc.children[0]!;
    expect(a.attributes).toEqual({ x: '1&2', y: 'z' });
    expect(a.children.map((c) => c.name)).toEqual(['b', 'c']);
    expect(a.children[1]!.text).toBe('t');
  });
});

describe('parseQstatJobXml', () => {
  it('reads the error reasons of Eqw jobs', () => {
    const { jobs, unknown } = parseQstatJobXml(fx('qstat-j-eqw.xml'));
    expect(unknown).toEqual([]);
    expect(jobs.map((j) => [j.jobId, j.name])).toEqual([
      ['12', 'e100'],
      ['13', 'badwd'],
    ]);
    expect(jobs[0]!.messages).toEqual([{ taskId: 1, message: '12/01/2026 23:18:02 [103:1714]: exit_status of job start = 100' }]);
    expect(jobs[1]!.messages[0]!.message).toMatch(/can't chdir to \/nonexistent\/dir: No such file or directory$/);
  });

  it('reads predecessors and unknown jobs', () => {
    expect(parseQstatJobXml(fx('qstat-j-dep-held.xml')).jobs.map((j) => j.predecessors)).toEqual([['86']]);
    expect(parseQstatJobXml(fx('qstat-j-unknown.xml'))).toEqual({ jobs: [], unknown: ['99999'] });
  });
});

describe('parseQacct on real output', () => {
  const one = (name: string) => {
    const recs = parseQacct(fx(name));
    expect(recs).toHaveLength(1);
    return recs[0]!;
  };

  it.each([
    ['qacct-exit0.txt', 0, 0, undefined],
    ['qacct-exit3.txt', 0, 3, undefined],
    ['qacct-sigterm.txt', 100, 143, 15],
    ['qacct-sigsegv.txt', 100, 139, 11],
    ['qacct-qdel-running.txt', 100, 137, 9],
    ['qacct-h_rt.txt', 37, 137, 9],
    ['qacct-h_rt-notify.txt', 37, 137, 9],
    ['qacct-exit100-eqw.txt', 30, 100, undefined],
    ['qacct-eqw-chdir.txt', 28, 0, undefined],
  ])('%s: failed %d, exit_status %d, signal %s', (file, failed, exitStatus, signal) => {
    const r = one(file);
    expect(r).toMatchObject({ failed, exitStatus, signal, taskId: undefined });
    expect(r.jobId).toMatch(/^\d+$/);
  });

  it('keeps the failed reason, names, times and slots', () => {
    const r = one('qacct-qdel-running.txt');
    expect(r).toMatchObject({ jobId: '45', jobName: `run&<>"'x`, failedReason: 'assumedly after job', slots: 1 });
    expect(r.endTime - r.startTime).toBe(46);
    expect(one('qacct-eqw-chdir.txt')).toMatchObject({ failedReason: 'changing into working directory', startTime: 0 });
  });

  it('lists every run of a requeued job and every task of an array', () => {
    const requeued = parseQacct(fx('qacct-exit99-requeued.txt'));
    expect(requeued.map((r) => [r.failed, r.exitStatus])).toEqual([
      [25, 99],
      [25, 99],
      [25, 99],
      [25, 99],
    ]);
    const arr = parseQacct(fx('qacct-array-qdel.txt'));
    expect(arr.map((r) => r.taskId).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(parseQacct(fx('qacct-array-task.txt')).map((r) => r.taskId)).toEqual([2]);
    expect(parseQacct(fx('qacct-array-pe-smp.txt')).map((r) => r.slots)).toEqual([2, 2, 2]);
  });

  it('gives nothing for a job without a record', () => {
    expect(parseQacct(fx('qacct-not-found.stdout'))).toEqual([]);
    expect(fx('qacct-not-found.stderr')).toBe('error: job id 11 not found\n');
  });
});

describe('parseAccountingLine / parseAccountingFile', () => {
  it('agrees with qacct on every record of the real file', () => {
    const recs = parseAccountingFile(fx('accounting-header.txt') + fx('accounting.txt'));
    expect(recs).toHaveLength(fx('accounting.txt').trim().split('\n').length);
    for (const [file, id] of [
      ['qacct-exit3.txt', '50'],
      ['qacct-sigterm.txt', '52'],
      ['qacct-h_rt.txt', '54'],
      ['qacct-qdel-running.txt', '45'],
      ['qacct-exit100-eqw.txt', '12'],
    ] as const) {
      const fromQacct = parseQacct(fx(file))[0]!;
      const fromFile = recs.filter((r) => r.jobId === id);
      expect(fromFile).toHaveLength(1);
      expect({ ...fromFile[0]!, failedReason: fromQacct.failedReason }).toEqual(fromQacct);
    }
    const arr = recs.filter((r) => r.jobId === '59');
    expect(arr.map((r) => [r.taskId, r.slots])).toEqual([
      [1, 2],
      [2, 2],
      [3, 2],
    ]);
  });

  it('skips comments, blank and short lines', () => {
    expect(parseAccountingLine('# Version: 8.1.9')).toBeUndefined();
    expect(parseAccountingLine('')).toBeUndefined();
    expect(parseAccountingLine('all.q:vm:root:root:x:1:sge')).toBeUndefined();
  });
});

describe('parseJobCommandReplies (qdel, qrls, qhold, qmod)', () => {
  it('reads one reply per id, errors included (they are on stdout)', () => {
    const { replies, other } = parseJobCommandReplies(fx('qdel-several.stdout'));
    expect(other).toEqual([]);
    expect(replies.map((r) => [r.jobId, r.outcome])).toEqual([
      ['11', 'deleted'],
      ['12', 'deleted'],
      ['13', 'deleted'],
      ['9999', 'unknown'],
      ['9', 'deleted'],
    ]);
    expect(fx('qdel-several.stderr')).toBe('');
    expect(fx('qdel-several.rc').trim()).toBe('rc=1');
  });

  it('reads running deletions and array tasks', () => {
    const { replies, other } = parseJobCommandReplies(fx('qdel-running.stdout'));
    expect(other).toEqual(['rc=0']);
    expect(replies.map((r) => [r.jobId, r.taskId, r.outcome])).toEqual([
      ['45', undefined, 'deleting'],
      ['10', 1, 'deleting'],
      ['10', 2, 'deleting'],
      ['10', undefined, 'deleted'],
    ]);
    expect(parseJobCommandReplies(fx('qdel-task.stdout')).replies.map((r) => `${r.jobId}.${r.taskId}`)).toEqual(['48.2', '48.3']);
  });

  it('reads qrls replies', () => {
    expect(parseJobCommandReplies(fx('qrls.stdout')).replies).toMatchObject([{ jobId: '8', outcome: 'modified' }]);
    expect(parseJobCommandReplies(fx('qrls-array.stdout')).replies.map((r) => r.taskId)).toEqual([1, 2, 3, 4, 5]);
    expect(parseJobCommandReplies('root - suspended job-array task 85.2\n').replies).toMatchObject([{ jobId: '85', taskId: 2, outcome: 'suspended' }]);
  });
});

describe('isQmasterUnreachable', () => {
  it('recognises the real messages of qstat and qsub with qmaster down', () => {
    expect(isQmasterUnreachable(fx('qstat-qmaster-down.stderr'))).toBe(true);
    expect(isQmasterUnreachable(fx('qsub-qmaster-down.stderr'))).toBe(true);
    expect(isQmasterUnreachable('Unable to run job: job rejected: the requested project "x" does not exist')).toBe(false);
  });
});

describe('sgeState', () => {
  it.each([
    ['qw', 'pending', 'SCHED'],
    ['hqw', 'held', 'SCHED'],
    ['r', 'running', 'RUN'],
    ['t', 'running', 'RUN'],
    ['hr', 'running', 'RUN'],
    ['Rr', 'running', 'RUN'],
    ['s', 'running', 'RUN'],
    ['S', 'running', 'RUN'],
    ['T', 'running', 'RUN'],
    ['Rq', 'requeued', 'SCHED'],
    ['Eqw', 'error', 'SCHED'],
    ['Ehqw', 'error', 'SCHED'],
    ['dr', 'deleting', 'CLEANUP'],
    ['ds', 'deleting', 'CLEANUP'],
    ['dqw', 'deleting', 'SCHED'],
    ['z', 'final', 'INACTIVE'],
    ['', 'pending', 'SCHED'],
  ])('%j → %s / %s', (letters, phase, jobState) => {
    expect(sgeState(letters)).toMatchObject({ phase, jobState });
  });

  it('unknown letters never end a job', () => {
    expect(sgeState('XY')).toMatchObject({ phase: 'pending', jobState: 'SCHED' });
  });

  it('a -hold_jid hold is DEPEND, a user hold SCHED', () => {
    expect(sgeState('hqw', { dependencyHold: true })).toEqual({ phase: 'held', jobState: 'DEPEND', held: true, suspended: false });
    expect(sgeState('hqw')).toEqual({ phase: 'held', jobState: 'SCHED', held: true, suspended: false });
    expect(sgeState('ds')).toMatchObject({ suspended: true });
  });

  it('maps every state seen in the fixtures without falling back', () => {
    const seen = new Set<string>();
    for (const f of ['qstat-mixed.xml', 'qstat-array-holes.xml', 'qstat-requeued-Rq.xml', 'qstat-restarted-Rr.xml', 'qstat-suspended.xml', 'qstat-deleting-dr.xml']) {
      for (const r of parseQstatXml(fx(f)).rows) seen.add(r.state);
    }
    expect([...seen].sort()).toEqual(['Eqw', 'Rq', 'Rr', 'dr', 'ds', 'hqw', 'qw', 'r', 's']);
  });
});

describe('accountingOutcome', () => {
  const out = (file: string) => accountingOutcome(parseQacct(fx(file))[0]!);
  it.each([
    ['qacct-exit0.txt', 'COMPLETED', 0],
    ['qacct-exit3.txt', 'FAILED', 3 << 8],
    ['qacct-sigterm.txt', 'FAILED', 15],
    ['qacct-qdel-running.txt', 'FAILED', 9],
    ['qacct-h_rt.txt', 'TIMEOUT', 9],
    ['qacct-exit100-eqw.txt', 'FAILED', undefined],
    ['qacct-eqw-chdir.txt', 'FAILED', undefined],
  ])('%s → %s, wait status %s', (file, result, waitstatus) => {
    expect(out(file)).toMatchObject({ result, waitstatus });
  });

  it('says why', () => {
    expect(out('qacct-eqw-chdir.txt').reason).toBe('Grid Engine failed code 28 (changing into working directory)');
    expect(out('qacct-h_rt.txt').reason).toBe('time limit (h_rt) exceeded');
  });
});
