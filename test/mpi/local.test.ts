/** MPI jobs on the local backend: one launcher process, real ranks of a C program. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { MpiNotFoundError } from '../../src/backends/batch/mpi.js';
import { JobExecutor } from '../../src/executor/index.js';
import { Jobspec, JobspecValidationError } from '../../src/jobspec/index.js';
import { processesRunning, waitFor } from '../behaviour/helpers.js';
import { describeMpi, programs, ranks } from './setup.js';

const mpiSpec = (program: string, mpi: string, numTasks = 4, environment?: Record<string, string>) =>
  Jobspec.fromCommand([program], { numTasks, ...(environment && { environment }) }).setAttribute('system.shell.options.mpi', mpi);

describeMpi('MPI jobs on the local backend', () => {
  for (const [flavour, mpi] of [['openmpi', 'openmpi'], ['mpich', 'mpich'], ['openmpi', 'auto']] as const) {
    it(`mpi=${mpi}: 4 ranks of one world (${flavour} hello, more ranks than cores)`, async () => {
      await using ex = new JobExecutor({ backend: 'local', maxCores: 8 });
      const spec = mpiSpec(programs[flavour], mpi);
      if (mpi === 'auto') {
        // auto is whatever `mpirun` is on this machine: skip unless it is Open MPI (Debian's default alternative)
        const version = (await import('node:child_process')).execFileSync('mpirun', ['--version'], { encoding: 'utf8' });
        if (!/Open MPI|OpenRTE/.test(version)) return;
      }
      const fut = ex.submit(spec);
      const r = await fut;
      const out = readFileSync(fut.stdoutPath!, 'utf8');
      expect(r.result, `${out}\n${readFileSync(fut.stderrPath!, 'utf8')}`).toBe('COMPLETED');
      expect(ranks(out)).toEqual({ ranks: [0, 1, 2, 3], sizes: [4] });
    });
  }

  for (const flavour of ['openmpi', 'mpich'] as const) {
    it(`mpi=${flavour}: every rank sees its own JOBFUTURES_TASK_RANK and the job's size and id`, async () => {
      await using ex = new JobExecutor({ backend: 'local', maxCores: 8 });
      const argv = ['sh', '-c', 'echo "$JOBFUTURES_TASK_RANK/$JOBFUTURES_JOB_SIZE/$JOBFUTURES_JOB_ID"'];
      const fut = ex.submit(Jobspec.fromCommand(argv, { numTasks: 4 }).setAttribute('system.shell.options.mpi', flavour));
      expect((await fut).result).toBe('COMPLETED');
      const lines = readFileSync(fut.stdoutPath!, 'utf8').trim().split('\n').sort();
      expect(lines).toEqual([0, 1, 2, 3].map((rank) => `${rank}/4/${fut.id!.f58}`));
    });
  }

  it('with a job store (tasks under the status wrapper): 4 ranks, the result stored', async () => {
    const store = path.join(mkdtempSync(path.join(tmpdir(), 'jobf-mpi-store-')), 'jobs.db');
    await using ex = new JobExecutor({ backend: 'local', store, maxCores: 8 });
    const fut = ex.submit(mpiSpec(programs.mpich, 'mpich'));
    expect((await fut).result).toBe('COMPLETED');
    expect(ranks(readFileSync(fut.stdoutPath!, 'utf8'))).toEqual({ ranks: [0, 1, 2, 3], sizes: [4] });
    expect(ex.get(fut.id!)?.result).toBe('COMPLETED');
  });

  it('one task with mpi set runs the program alone (a world of one)', async () => {
    await using ex = new JobExecutor({ backend: 'local' });
    const fut = ex.submit(mpiSpec(programs.mpich, 'mpich', 1));
    expect((await fut).result).toBe('COMPLETED');
    expect(ranks(readFileSync(fut.stdoutPath!, 'utf8'))).toEqual({ ranks: [0], sizes: [1] });
  });

  it('a missing MPI is a typed error at submit naming what was looked for, and no job is made', async () => {
    await using ex = new JobExecutor({ backend: 'local', maxCores: 8 });
    const fut = ex.submit(mpiSpec(programs.openmpi, 'mpich', 4, { PATH: '/nonexistent' }));
    const error = await fut.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MpiNotFoundError);
    const e = error as MpiNotFoundError;
    expect(e.path).toBe('/attributes/system/shell/options/mpi');
    expect(e.lookedFor).toContain('mpiexec.mpich');
    expect(e.message).toContain('PATH=/nonexistent');
    expect(fut.id).toBeUndefined();
  });

  for (const mpi of ['openmpi', 'mpich'] as const) {
    for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
      it(`mpi=${mpi}: ${signal} to the job ends every rank (ranks lead their own process groups)`, async () => {
        await using ex = new JobExecutor({ backend: 'local', maxCores: 8 });
        const argv = ['sleep', `${600 + Math.random()}`];
        const fut = ex.submit(Jobspec.fromCommand(argv, { numTasks: 4 }).setAttribute('system.shell.options.mpi', mpi));
        await waitFor(() => processesRunning(argv).length === 4, 30_000, '4 ranks');
        expect(ex.kill(fut.id!, signal)).toBe(true);
        const r = await fut;
        expect(r.result).toBe('FAILED');
        await waitFor(() => processesRunning(argv).length === 0, signal === 'SIGKILL' ? 2_000 : 15_000, 'no rank left');
      });
    }
  }

  it('an unknown mpi value is a jobspec validation error at its pointer', () => {
    expect(() => mpiSpec('true', 'lam')).toThrow(JobspecValidationError);
    try {
      mpiSpec('true', 'lam');
    } catch (e) {
      expect((e as JobspecValidationError).errors[0]).toMatchObject({ path: '/attributes/system/shell/options/mpi' });
    }
  });
});
