/** The pure parts of MPI launch: launcher argv, the batch launcher and profile, the Slurm script. */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MPI_VARIABLES, MpiNotFoundError, findMpi, mpiLaunchCommand, mpiSchedulerProfile, mpirunTaskLauncher, type MpiInstallation } from '../../src/backends/batch/mpi.js';
import { renderBatchScript, type BatchScriptInput } from '../../src/backends/slurm/render-batch-script.js';
import { SLURM_PROFILE } from '../../src/backends/slurm/profile.js';

const ompi: MpiInstallation = { flavour: 'openmpi', launcher: '/usr/bin/mpirun.openmpi', version: 'mpirun (Open MPI) 4.1.4' };
const mpich: MpiInstallation = { flavour: 'mpich', launcher: '/usr/bin/mpiexec.mpich', version: 'MPICH 4.0.2' };

describe('mpiLaunchCommand', () => {
  it('Open MPI: -np, --oversubscribe only past the core count, --, run-as-root variables only as root', () => {
    expect(mpiLaunchCommand(ompi, { numTasks: 4, command: ['./a', '-x'], cores: 2, root: true })).toEqual({
      argv: ['/usr/bin/mpirun.openmpi', '-np', '4', '--oversubscribe', '--', './a', '-x'],
      env: ['OMPI_ALLOW_RUN_AS_ROOT=1', 'OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1'],
    });
    expect(mpiLaunchCommand(ompi, { numTasks: 2, command: ['./a'], cores: 2, root: false })).toEqual({ argv: ['/usr/bin/mpirun.openmpi', '-np', '2', '--', './a'], env: [] });
  });
  it('MPICH: -n and the command (Hydra takes no --)', () => {
    expect(mpiLaunchCommand(mpich, { numTasks: 8, command: ['./a'], cores: 2, root: true })).toEqual({ argv: ['/usr/bin/mpiexec.mpich', '-n', '8', './a'], env: [] });
  });
});

describe('batch MPI launch', () => {
  it('mpirun inside the allocation', () => {
    expect(mpirunTaskLauncher(ompi, 4, true)).toEqual({ program: 'mpirun.openmpi', args: ['-np', '4', '--allow-run-as-root'] });
    expect(mpirunTaskLauncher(mpich, 4, true)).toEqual({ program: 'mpiexec.mpich', args: ['-n', '4'] });
  });
  it('the MPI profile keeps the MPI variables and reads the rank from the given variable', () => {
    const p = mpiSchedulerProfile(SLURM_PROFILE, 'OMPI_COMM_WORLD_RANK');
    expect(p.variables.patterns).toEqual([...SLURM_PROFILE.variables.patterns, ...MPI_VARIABLES]);
    expect(p.variables.matches('PMI_FD') && p.variables.matches('OMPI_COMM_WORLD_RANK') && p.variables.matches('SLURM_JOB_ID')).toBe(true);
    expect(p.reaper).toContain('OMPI_COMM_WORLD_RANK');
    expect(mpiSchedulerProfile(SLURM_PROFILE, 'OMPI_COMM_WORLD_RANK')).toBe(p);
  });
});

describe('Slurm script of an MPI job', () => {
  const base: BatchScriptInput = {
    ids: ['ƒAAA'], command: ['./hello'], environment: { PATH: '/usr/bin:/bin' }, name: 'hello', logDir: '/shared/logs', cwd: '/w',
    stdout: '/shared/logs/{{id}}.out', stderr: '/shared/logs/{{id}}.err', numTasks: 4, coresPerTask: 1, gpusPerTask: 0, exclusive: false,
    duration: 0, hold: false, dependencies: {},
  };
  it('MPICH: srun --mpi=pmi2; Open MPI: mpirun in the allocation; no mpi: plain srun', () => {
    expect(renderBatchScript({ ...base, mpi: mpich }).script).toMatch(/"\$__jf_launcher" --mpi=pmi2 --export=ALL --ntasks=4 /);
    const o = renderBatchScript({ ...base, mpi: ompi }).script;
    expect(o).toContain('hash mpirun.openmpi');
    expect(o).toMatch(/"\$__jf_launcher" -np 4 /);
    const plain = renderBatchScript(base).script;
    expect(plain).not.toContain('--mpi=');
    expect(plain).not.toContain('PMI_');
  });
});

describe('findMpi (fake launchers on a PATH)', () => {
  const bin = mkdtempSync(path.join(tmpdir(), 'jobf-fake-mpi-'));
  const fake = (name: string, version: string) => {
    writeFileSync(path.join(bin, name), `#!/bin/sh\nprintf '%s\\n' '${version}'\n`);
    chmodSync(path.join(bin, name), 0o755);
  };
  fake('mpirun', 'mpirun (Open MPI) 9.9.9');
  fake('mpiexec', 'HYDRA build details:\n    Version:                                 8.1');
  it('tells the flavour from --version; auto takes the default mpirun', () => {
    expect(findMpi('openmpi', bin)).toEqual({ flavour: 'openmpi', launcher: path.join(bin, 'mpirun'), version: 'mpirun (Open MPI) 9.9.9' });
    expect(findMpi('mpich', bin)).toMatchObject({ flavour: 'mpich', launcher: path.join(bin, 'mpiexec'), version: 'MPICH 8.1' });
    expect(findMpi('auto', bin).flavour).toBe('openmpi');
  });
  it('a flavour that is not there: MpiNotFoundError naming what was looked for and what was found instead', () => {
    const only = mkdtempSync(path.join(tmpdir(), 'jobf-fake-mpi-'));
    writeFileSync(path.join(only, 'mpirun'), "#!/bin/sh\necho 'mpirun (Open MPI) 4'\n");
    chmodSync(path.join(only, 'mpirun'), 0o755);
    const err = (() => {
      try {
        findMpi('mpich', `${only}:/nonexistent`);
      } catch (e) {
        return e as MpiNotFoundError;
      }
    })();
    expect(err).toBeInstanceOf(MpiNotFoundError);
    expect(err!.lookedFor).toEqual(['mpiexec.mpich', 'mpiexec.hydra', 'mpirun.mpich', 'mpiexec', 'mpirun']);
    expect(err!.searched).toEqual([only, '/nonexistent']);
    expect(err!.message).toContain(`${path.join(only, 'mpirun')} is Open MPI`);
    expect(err!.message).toContain('apt-get install mpich');
  });
});
