/**
 * MPI jobs on the Grid Engine dev cell (scripts/sge/start-dev-cluster.sh): one job in the `mpi`
 * parallel environment whose one process is `mpirun`/`mpiexec`; 4 ranks of one world, for Open MPI
 * and MPICH; a failing rank fails the job with its code; several tasks without the `mpi` option
 * are still refused.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MpiNotFoundError } from '../../src/backends/batch/mpi.js';
import { UnsatisfiableRequestError } from '../../src/core/errors.js';
import { JobExecutor } from '../../src/executor/index.js';
import { Jobspec } from '../../src/jobspec/index.js';
import { processesRunning, waitFor } from '../behaviour/helpers.js';
import { describeSge } from '../sge/cluster.js';
import { describeMpi, programs, ranks } from './setup.js';

const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
const mpiSpec = (command: string[], mpi: string, environment: Record<string, string> = ENV) =>
  Jobspec.fromCommand(command, { numTasks: 4, environment, duration: '5m' }).setAttribute('system.shell.options.mpi', mpi);

await describeSge('MPI jobs on Grid Engine', () => {
  describeMpi('on the dev cell', () => {
    let ex: JobExecutor;
    const logDir = mkdtempSync(path.join(tmpdir(), 'jf-mpi-sge-'));
    beforeAll(() => {
      ex = new JobExecutor({ backend: 'sge', logDir, pollInterval: { min: 200, max: 1000 } });
    });
    afterAll(async () => {
      await ex?.shutdown({ cancelFutures: true });
    }, 120_000);

    for (const flavour of ['openmpi', 'mpich'] as const) {
      it(`mpi=${flavour}: 4 ranks of one world in '-pe mpi 4', one status file (the launcher's), COMPLETED`, async () => {
        const fut = ex.submit(mpiSpec([programs[flavour]], flavour));
        const r = await fut;
        const out = readFileSync(fut.stdoutPath!, 'utf8');
        expect(r.result, `${out}\n${readFileSync(fut.stderrPath!, 'utf8')}`).toBe('COMPLETED');
        expect(ranks(out)).toEqual({ ranks: [0, 1, 2, 3], sizes: [4] });
        const script = readFileSync(path.join(logDir, `${fut.id!.f58}.sge`), 'utf8');
        expect(script).toContain('#$ -pe mpi 4');
        expect(readFileSync(path.join(logDir, `${fut.id!.f58}.status`), 'utf8').trim()).toBe('0');
      }, 180_000);
    }

    it('every rank sees its own JOBFUTURES_TASK_RANK and the job size (Open MPI)', async () => {
      const fut = ex.submit(mpiSpec(['sh', '-c', 'echo "$JOBFUTURES_TASK_RANK/$JOBFUTURES_JOB_SIZE/$JOBFUTURES_JOB_ID"'], 'openmpi'));
      expect((await fut).result).toBe('COMPLETED');
      const lines = readFileSync(fut.stdoutPath!, 'utf8').trim().split('\n').sort();
      expect(lines).toEqual([0, 1, 2, 3].map((rank) => `${rank}/4/${fut.id!.f58}`));
    }, 180_000);

    for (const [flavour, rankVar] of [['mpich', 'PMI_RANK'], ['openmpi', 'OMPI_COMM_WORLD_RANK']] as const) {
      it(`mpi=${flavour}: a rank that fails makes the job FAILED with its exit code`, async () => {
        const script = `if [ "\${${rankVar}:-x}" = 2 ]; then exit 3; fi; exit 0`;
        const r = await ex.submit(mpiSpec(['sh', '-c', script], flavour));
        expect(r.result).toBe('FAILED');
        expect(r.returncode).toBe(3);
      }, 180_000);
    }

    it('mpiParallelEnvironment names the PE; MPI and plain jobs of the same slots submitted together do not share an array', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'jf-mpi-sge-pe-'));
      await using ex2 = new JobExecutor({ backend: 'sge', logDir: dir, mpiParallelEnvironment: 'smp', pollInterval: { min: 200, max: 1000 } });
      const futs = [
        ex2.submit(mpiSpec([programs.openmpi], 'openmpi')),
        ex2.submit(mpiSpec([programs.mpich], 'mpich')),
        ex2.submit(Jobspec.fromCommand(['sh', '-c', 'echo "$NSLOTS $PE"'], { coresPerTask: 4, environment: ENV, duration: '5m' })),
      ];
      const results = await Promise.all(futs);
      expect(results.map((r) => r.result)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
      for (const fut of futs.slice(0, 2)) expect(ranks(readFileSync(fut.stdoutPath!, 'utf8'))).toEqual({ ranks: [0, 1, 2, 3], sizes: [4] });
      expect(readFileSync(futs[2]!.stdoutPath!, 'utf8').trim()).toBe('4 smp');
      const mpiNative = futs[0]!.nativeId!;
      const plainNative = futs[2]!.nativeId!;
      expect(mpiNative.split('.')[0]).not.toBe(plainNative.split('.')[0]);
      expect(readFileSync(path.join(dir, `${futs[0]!.id!.f58}.sge`), 'utf8')).toContain('#$ -pe smp 4');
    }, 180_000);

    for (const flavour of ['openmpi', 'mpich'] as const) {
      it(`mpi=${flavour}: canceling a running MPI job ends every rank`, async () => {
        const argv = ['sleep', `${600 + Math.random()}`];
        const fut = ex.submit(mpiSpec(argv, flavour));
        await waitFor(() => processesRunning(argv).length === 4, 60_000, '4 ranks');
        expect(ex.cancel(fut.id!)).toBe(true);
        const r = await fut;
        expect(r.result).toBe('CANCELED');
        await waitFor(() => processesRunning(argv).length === 0, 20_000, 'no rank left');
      }, 180_000);
    }

    for (const flavour of ['openmpi', 'mpich'] as const) {
      it(`mpi=${flavour}: kill(SIGKILL) of a running MPI job ends every rank`, async () => {
        const argv = ['sleep', `${600 + Math.random()}`];
        const fut = ex.submit(mpiSpec(argv, flavour));
        await waitFor(() => processesRunning(argv).length === 4, 60_000, '4 ranks');
        await waitFor(() => ex.kill(fut.id!, 'SIGKILL'), 30_000, 'the job seen running');
        const r = await fut;
        expect(r.result).toBe('FAILED');
        await waitFor(() => processesRunning(argv).length === 0, 20_000, 'no rank left');
      }, 180_000);
    }

    it('several tasks without the mpi option are refused at submit (UnsatisfiableRequestError), no job made', async () => {
      const fut = ex.submit(Jobspec.fromCommand(['true'], { numTasks: 4, environment: ENV }));
      const error = await fut.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UnsatisfiableRequestError);
      expect(error).not.toBeInstanceOf(MpiNotFoundError);
      expect((error as UnsatisfiableRequestError).path).toBe('/tasks/0/count');
      expect(fut.id).toBeUndefined();
    });

    it('a missing MPI is a typed error at submit', async () => {
      const fut = ex.submit(mpiSpec([programs.mpich], 'mpich', { PATH: '/nonexistent' }));
      await expect(fut).rejects.toBeInstanceOf(MpiNotFoundError);
      expect(fut.id).toBeUndefined();
    });
  });
});
