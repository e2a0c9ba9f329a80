/** MPI jobs on the real Slurm dev cluster: 4 ranks of one world, for Open MPI and MPICH. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MpiNotFoundError } from '../../src/backends/batch/mpi.js';
import { JobExecutor } from '../../src/executor/index.js';
import { Jobspec } from '../../src/jobspec/index.js';
import { describeSlurm, shareCluster } from '../slurm/cluster.js';
import { describeMpi, programs, ranks } from './setup.js';

const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
const mpiSpec = (program: string, mpi: string, environment: Record<string, string> = ENV) =>
  Jobspec.fromCommand([program], { numTasks: 4, environment, duration: '5m' }).setAttribute('system.shell.options.mpi', mpi);

describeMpi('MPI jobs on Slurm', () => {
  describeSlurm('on the dev cluster', () => {
    let release: (() => void) | undefined;
    let ex: JobExecutor;
    const logDir = mkdtempSync(path.join(tmpdir(), 'jf-mpi-slurm-'));
    beforeAll(async () => {
      release = await shareCluster();
      ex = new JobExecutor({ backend: 'slurm', logDir, pollInterval: { min: 200, max: 1000 } });
    });
    afterAll(async () => {
      await ex?.shutdown({ cancelFutures: true });
      release?.();
    });

    for (const flavour of ['openmpi', 'mpich'] as const) {
      it(`mpi=${flavour}: 4 ranks of one world, one status per rank, COMPLETED`, async () => {
        const fut = ex.submit(mpiSpec(programs[flavour], flavour));
        const r = await fut;
        const out = readFileSync(fut.stdoutPath!, 'utf8');
        expect(r.result, `${out}\n${readFileSync(fut.stderrPath!, 'utf8')}`).toBe('COMPLETED');
        expect(ranks(out)).toEqual({ ranks: [0, 1, 2, 3], sizes: [4] });
        for (const rank of [0, 1, 2, 3]) expect(readFileSync(path.join(logDir, `${fut.id!.f58}.status.task.${rank}`), 'utf8').trim()).toBe('0');
      }, 180_000);
    }

    it('a rank that fails makes the job FAILED with its exit code', async () => {
      const script = 'if [ "${PMI_RANK:-x}" = 2 ]; then exit 3; fi; exit 0';
      const spec = Jobspec.fromCommand(['sh', '-c', script], { numTasks: 4, environment: ENV, duration: '5m' }).setAttribute('system.shell.options.mpi', 'mpich');
      const r = await ex.submit(spec);
      expect(r.result).toBe('FAILED');
      expect(r.returncode).toBe(3);
    }, 180_000);

    it('a missing MPI is a typed error at submit', async () => {
      const fut = ex.submit(mpiSpec(programs.mpich, 'mpich', { PATH: '/nonexistent' }));
      await expect(fut).rejects.toBeInstanceOf(MpiNotFoundError);
      expect(fut.id).toBeUndefined();
    });
  });
});
