/** AccountingReader on a real accounting file (captured from SGE 8.1.9), read as it grows. */
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AccountingReader, defaultAccountingFile } from '../../src/backends/sge/accounting.js';
import { SchedulerCommands } from '../../src/backends/batch/commands.js';

const FIXTURE = readFileSync(path.join(import.meta.dirname, 'fixtures/accounting.txt'), 'utf8');
const lines = FIXTURE.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
const byJob = (n: string) => lines.filter((l) => l.split(':')[5] === n);

describe('AccountingReader', () => {
  it('reads only what was appended, keeps the watched jobs, and finds tasks and plain jobs by native id', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'jf-acct-')), 'accounting');
    writeFileSync(file, '# Version: 8.1.9\n' + byJob('2').join('\n') + '\n');
    // (qacct cannot run here: only ids watched late are looked up with it)
    const commands = new SchedulerCommands({ prefix: ['/nonexistent/no-qacct'] });
    const reader = new AccountingReader(file, commands);
    reader.watch('3.1');
    reader.watch('12');
    expect(await reader.records(['2'])).toEqual(new Map([['2', expect.objectContaining({ jobId: '2', failed: 100, exitStatus: 137 })]]));
    // half a line first: it is read once complete
    const more = [...byJob('3'), ...byJob('12')].join('\n') + '\n';
    appendFileSync(file, more.slice(0, 40));
    expect((await reader.records(['3.2'])).size).toBe(0);
    appendFileSync(file, more.slice(40));
    const got = await reader.records(['3.2', '3.5', '12', '99']);
    expect([...got.keys()].sort()).toEqual(['12', '3.2', '3.5']);
    expect(got.get('12')).toMatchObject({ jobId: '12', taskId: undefined, failed: 30, exitStatus: 100 });
    expect(got.get('3.5')).toMatchObject({ jobId: '3', taskId: 5 });
    // 99 was first asked for after the first read: its record may be older, so qacct is asked
    expect(commands.counts).toEqual({ qacct: 1 });
  });

  it('falls back to qacct when the file cannot be read', async () => {
    const commands = new SchedulerCommands({ prefix: ['/nonexistent/no-qacct'] });
    const reader = new AccountingReader('/nonexistent/accounting', commands);
    expect((await reader.records(['7', '8.1'])).size).toBe(0);
    expect(commands.counts).toEqual({ qacct: 2 });
  });

  it('defaults to $SGE_ROOT/$SGE_CELL/common/accounting', () => {
    expect(defaultAccountingFile({})).toBe('/var/lib/gridengine/default/common/accounting');
    expect(defaultAccountingFile({ SGE_ROOT: '/opt/sge', SGE_CELL: 'c1' })).toBe('/opt/sge/c1/common/accounting');
  });
});
