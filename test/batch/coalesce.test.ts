/**
 * The kit's coalescing, outside any scheduler: the array script of different jobs (task body
 * files, the job table at the end of big arrays) run with bash task by task, read back for
 * recovery; and the SubmitCoalescer's batching (one turn, in flight, split, slots).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineSchedulerProfile, INLINE_TABLE_MAX, opensDefaultOutputs, parseOwnScript, renderCoalescedJobScript, SubmitCoalescer, SubmitSlots, type CoalescedTask } from '../../src/backends/batch/index.js';

const profile = defineSchedulerProfile({ variables: ['SGE_*', 'JOB_ID'], arrayIndexVariable: 'SGE_TASK_ID', firstArrayIndex: 1, rankVariable: 'SGE_RANK' });
const nul = (s: string) => s.split('\0').slice(0, -1);

/** Writes the script and its task files, runs array index `index` from the file (as a scheduler does). */
function runTask(dir: string, rendered: ReturnType<typeof renderCoalescedJobScript>, index: number): number {
  const file = path.join(dir, 'array.sh');
  writeFileSync(file, rendered.script, { mode: 0o700 });
  for (const f of rendered.taskFiles) writeFileSync(f.path, f.text);
  return spawnSync('bash', [file], { env: { PATH: '/usr/bin:/bin', SGE_TASK_ID: String(index), JOB_ID: '9' }, encoding: 'utf8' }).status ?? -1;
}

function tasks(dir: string, n: number): CoalescedTask[] {
  // Jobs 0 and 1 share one job object (one spec); the others differ in argv, environment, cwd and outputs.
  const shared = { command: ['sh', '-c', 'pwd; printf "%s\\0" "$@" >"$JOBFUTURES_JOB_ID.argv"', 'sh', 'same'], environment: { PATH: '/usr/bin:/bin', K: 'shared' }, name: 's', logDir: dir, cwd: dir, stdout: `${dir}/{{id}}.out`, stderr: `${dir}/{{id}}.err`, numTasks: 1 };
  return Array.from({ length: n }, (_, i) => {
    if (i < 2) return { id: `ƒJ${i}`, job: shared };
    const cwd = path.join(dir, `c ${i}`);
    mkdirSync(cwd, { recursive: true });
    return {
      id: `ƒJ${i}`,
      job: {
        command: ['sh', '-c', 'pwd; printf "%s\\0" "$@" >"$JOBFUTURES_JOB_ID.argv"; exit $((I % 4))', 'sh', `it's ${i}`, '$HOME'],
        environment: { PATH: '/usr/bin:/bin', I: String(i), 'A-B': `x\n${i}` },
        name: `n${i}`,
        logDir: dir,
        cwd,
        stdout: i % 2 ? `${cwd}/{{name}}.txt` : `${dir}/{{id}}.out`,
        stderr: i % 2 ? `${cwd}/{{name}}.txt` : `${dir}/{{id}}.err`,
        numTasks: 1,
      },
    };
  });
}

describe('renderCoalescedJobScript', () => {
  for (const n of [5, INLINE_TABLE_MAX + 25]) {
    it(`${n} jobs: each array task runs its own job (${n > INLINE_TABLE_MAX ? 'table at the end' : 'case table'}), and reads back`, () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'jf-coalesce-'));
      const ts = tasks(dir, n);
      const rendered = renderCoalescedJobScript(ts, profile);
      expect(rendered.taskFiles).toHaveLength(n - 1); // jobs 0 and 1 share one body
      expect(rendered.script.includes('mapfile')).toBe(n > INLINE_TABLE_MAX);
      for (const i of [0, 1, 2, 3, n - 1]) {
        expect(runTask(dir, rendered, i + 1), `task ${i}`).toBe(i < 2 ? 0 : i % 4);
        const cwd = i < 2 ? dir : path.join(dir, `c ${i}`);
        const out = i < 2 || i % 2 === 0 ? path.join(dir, `ƒJ${i}.out`) : path.join(cwd, `n${i}.txt`);
        expect(readFileSync(out, 'utf8')).toBe(`${cwd}\n`);
        expect(nul(readFileSync(path.join(cwd, `ƒJ${i}.argv`), 'utf8'))).toEqual(i < 2 ? ['same'] : [`it's ${i}`, '$HOME']);
        expect(readFileSync(path.join(dir, `ƒJ${i}.status`), 'utf8')).toBe(`${(i < 2 ? 0 : i % 4) << 8}\n`);
      }
      for (let i = 0; i < n; i++) {
        const own = parseOwnScript(rendered.script, String(i + 1))!;
        expect(own.f58).toBe(`ƒJ${i}`);
        expect(own.taskFile).toBe(path.join(dir, `ƒJ${i === 1 ? 0 : i}.task`));
        expect(opensDefaultOutputs(readFileSync(own.taskFile!, 'utf8'), dir)).toBe(i < 2 || i % 2 === 0);
      }
      expect(parseOwnScript(rendered.script, String(n + 1))).toBeUndefined();
      expect(runTask(dir, rendered, n + 1)).toBe(1);
    });
  }

  it('jobs that all render the same body: one inline script, no task files', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jf-coalesce-'));
    const job = tasks(dir, 1)[0]!.job;
    const copy = { ...job };
    const rendered = renderCoalescedJobScript([{ id: 'ƒA', job }, { id: 'ƒB', job: copy }], profile);
    expect(rendered.taskFiles).toEqual([]);
    expect(runTask(dir, rendered, 2)).toBe(0);
    expect(parseOwnScript(rendered.script, '2')).toEqual({ logDir: dir, f58: 'ƒB', defaultOutputs: true });
  });
});

describe('SubmitCoalescer', () => {
  function rig(limit: number, max: number) {
    const sent: number[][] = [];
    const gates: (() => void)[] = [];
    const work: Promise<unknown>[] = [];
    const c = new SubmitCoalescer<number>({
      slots: new SubmitSlots(limit),
      maxBatch: () => max,
      send: async (batch) => {
        sent.push(batch);
        await new Promise<void>((r) => gates.push(r));
      },
      track: (p) => work.push(p),
    });
    const turn = () => new Promise((r) => setImmediate(r));
    return { c, sent, gates, turn, work };
  }

  it('one turn, one batch per key; jobs added while it is in flight go out together next', async () => {
    const { c, sent, gates, turn } = rig(4, 100);
    for (let i = 0; i < 5; i++) c.add('a', i);
    await Promise.resolve();
    c.add('b', 50);
    c.add('a', 5);
    await turn();
    expect(sent).toEqual([[0, 1, 2, 3, 4, 5], [50]]);
    for (let i = 6; i < 9; i++) {
      c.add('a', i);
      await turn();
    }
    expect(sent).toHaveLength(2);
    expect(c.pending).toBe(3);
    gates.shift()!();
    await turn();
    await turn();
    expect(sent[2]).toEqual([6, 7, 8]);
    gates.forEach((g) => g());
  });

  it('splits at maxBatch (full batches at once) and shares the slots', async () => {
    const { c, sent, gates, turn } = rig(2, 3);
    for (let i = 0; i < 8; i++) c.add('a', i);
    await turn();
    await turn();
    expect(sent).toEqual([[0, 1, 2], [3, 4, 5]]); // two slots
    gates.shift()!();
    await turn();
    await turn();
    expect(sent[2]).toEqual([6, 7]);
    gates.forEach((g) => g());
  });
});
