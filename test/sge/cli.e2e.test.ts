/**
 * `jobf --backend sge` end to end with the real `jobf` bin and the dev cluster: submit (with
 * --array, --after, --after-any), wait, list, report, resubmit, stop, delete; and the crash test
 * of issue 11: `jobf submit` killed with SIGKILL while the qsub of its fan-out (one array) is in
 * flight, a new process on the store (`jobf wait`) re-adopts every job: 0 lost, 0 run twice.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { JobID } from '../../src/ids/index.js';
import { JobStore, type JobRecord } from '../../src/store/index.js';
import { waitFor } from '../behaviour/helpers.js';
import { ids, jobf, jobfProcess, prepareBin } from '../cli/helpers/jobf.js';
import { useWorkdirs } from '../cli/helpers/workdirs.js';
import { describeSge } from './cluster.js';

// Under /tmp: this single-host cluster shares it (scripts, status files, outputs).
const workdir = useWorkdirs('jobf-sge-cli-', prepareBin);

function records(db: string): JobRecord[] {
  const store = JobStore.open(db, { readonly: true });
  try {
    return store.list();
  } finally {
    store.close();
  }
}

const rec = (db: string, id: JobID) => records(db).find((r) => r.jobid.equals(id))!;
const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : []);

await describeSge('jobf --backend sge', () => {
  it('submit (--array, --after, --after-any), wait, list, report, resubmit, stop, delete', async () => {
    const { cwd, db } = workdir();
    const sge = (...args: string[]) => jobf(['--backend', 'sge', ...args], { cwd });
    const [a] = ids(await sge('submit', '--name', 'a', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3'));
    const arr = ids(await sge('submit', '--array', '1-3', '--', 'sh', '-c', 'echo "task $SGE_TASK_ID"'));
    expect(arr).toHaveLength(3);
    const w = await jobf(['wait'], { cwd });
    expect(w.exitCode).toBe(1); // a failed
    // (after `a` ended: `jobf submit --after` an active job another process submitted is refused
    // by the store's take-over on every scheduler backend, Slurm too; the API covers live ones)
    const refused = await sge('submit', '--after', a!.f58, '--', 'true');
    expect([refused.exitCode, refused.stderr]).toEqual([2, expect.stringMatching(/dependency .* ended FAILED/)]);
    const [afterOk] = ids(await sge('submit', '--after', arr[0]!.f58, '--', 'true'));
    const [afterAny] = ids(await sge('submit', '--after-any', a!.f58, '--', 'true'));
    expect((await jobf(['wait', afterOk!.f58, afterAny!.f58], { cwd })).exitCode).toBe(0);
    expect([rec(db, a!).result, rec(db, a!).returncode, rec(db, a!).backend]).toEqual(['FAILED', 3, 'sge']);
    expect(rec(db, a!).nativeId).toMatch(/^\d+$/);
    for (const [i, id] of arr.entries()) {
      const r = rec(db, id);
      expect([r.result, readFileSync(r.stdout!, 'utf8')]).toEqual(['COMPLETED', `task ${i + 1}\n`]);
    }
    expect(rec(db, afterOk!).result).toBe('COMPLETED');
    expect(rec(db, afterAny!).result).toBe('COMPLETED');

    const list = JSON.parse((await jobf(['--json', 'list'], { cwd })).stdout) as { id: string; result: string | null }[];
    expect(list).toHaveLength(7); // with the refused one (FAILED, dependency)

    const report = await jobf(['report', a!.f58], { cwd });
    expect(report.stdout).toContain('\nout\n');
    expect(report.stdout).toContain('\nerr\n');

    const again = await jobf(['resubmit', a!.f58], { cwd });
    expect([again.exitCode, again.stdout]).toEqual([0, `${a!.f58}\n`]);
    await jobf(['wait', a!.f58], { cwd });
    expect([rec(db, a!).result, rec(db, a!).returncode, rec(db, a!).attempt]).toEqual(['FAILED', 3, 2]);

    const [long] = ids(await sge('submit', '--', 'sh', '-c', 'touch started; exec sleep 300'));
    await waitFor(() => existsSync(join(cwd, 'started')), 60_000, 'the long job to start');
    const stopped = await jobf(['stop', long!.f58], { cwd });
    expect([stopped.exitCode, stopped.stdout]).toEqual([0, `${long!.f58}\n`]);
    expect(rec(db, long!).result).toBe('CANCELED');

    const del = await jobf(['delete', a!.f58], { cwd });
    expect([del.exitCode, del.stdout]).toEqual([0, `${a!.f58}\n`]);
    expect(records(db).some((r) => r.jobid.equals(a!))).toBe(false);
  }, 300_000);

  it("jobf submit killed while its qsub is in flight: jobf wait finds the array by its script, each job ran once", async () => {
    const { cwd, db } = workdir();
    const N = 40;
    const file = join(cwd, 'lines');
    // A qsub that submits, then takes 20 s to print the job id: the owner dies with qsub in flight.
    const shim = join(cwd, 'shim');
    const mark = join(cwd, 'qsub-done');
    mkdirSync(shim);
    const realQsub = execFileSync('sh', ['-c', 'command -v qsub'], { encoding: 'utf8' }).trim();
    writeFileSync(join(shim, 'qsub'), `#!/bin/sh\nout=$(${realQsub} "$@"); rc=$?\necho $$ > ${mark}\nsleep 20\nprintf '%s\\n' "$out"; exit $rc\n`, { mode: 0o755 });
    const submit = jobfProcess(['--backend', 'sge', 'submit', '--array', `1-${N}`, '--', 'sh', '-c', 'echo "$SGE_TASK_ID" >> "$1"; exit $((SGE_TASK_ID % 4))', 'job', file], {
      cwd,
      env: { PATH: `${shim}:${process.env.PATH ?? '/usr/bin:/bin'}` },
    });
    await waitFor(() => existsSync(mark) && readFileSync(mark, 'utf8').endsWith('\n'), 120_000, 'qsub to have submitted');
    submit.kill('SIGKILL');
    expect((await submit).signal).toBe('SIGKILL');
    process.kill(Number(readFileSync(mark, 'utf8')), 'SIGKILL'); // the orphaned shim
    const atKill = records(db);
    expect(atKill).toHaveLength(N);
    expect(atKill.filter((r) => r.nativeId !== undefined)).toEqual([]); // qsub was in flight for all

    const w = await jobf(['wait'], { cwd });
    expect(w.stderr).toBe('');
    expect(w.exitCode).toBe(1); // three jobs in four exit non-zero
    const after = records(db);
    expect(after).toHaveLength(N);
    // Tasks still queued are re-adopted under the array's id; tasks that ended before `jobf wait`
    // looked are known by their status files (no id to learn then): none is submitted again.
    const arrays = new Set(after.flatMap((r) => (r.nativeId === undefined ? [] : [r.nativeId.split('.')[0]])));
    expect(arrays.size).toBeLessThanOrEqual(1);
    expect(after.every((r) => r.attempt === 1)).toBe(true);
    for (const r of after) {
      const code = r.arrayIndex! % 4;
      expect([r.jobid.f58, r.state, r.result, r.returncode]).toEqual([r.jobid.f58, 'INACTIVE', code === 0 ? 'COMPLETED' : 'FAILED', code]);
    }
    // Nothing lost, nothing ran twice.
    expect(lines(file).sort()).toEqual(Array.from({ length: N }, (_, i) => String(i + 1)).sort());
  }, 300_000);
});
