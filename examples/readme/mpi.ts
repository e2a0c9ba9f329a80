// README "MPI jobs". Needs Open MPI or MPICH (sudo bash scripts/mpi/install.sh); run from examples/readme.
import { spawnSync } from 'node:child_process';
import { JobExecutor, Jobspec } from '../../src/index.js';

if (spawnSync('sh', ['-c', 'command -v mpirun || command -v mpiexec'], { stdio: 'ignore' }).status !== 0) {
  console.log('WARNING: no MPI installed (sudo bash scripts/mpi/install.sh): the MPI example did not run');
  process.exit(0);
}
const hello = ['sh', '-c', 'echo "rank ${OMPI_COMM_WORLD_RANK:-$PMI_RANK} of ${OMPI_COMM_WORLD_SIZE:-$PMI_SIZE}"'];
// readme:start
await using ex = new JobExecutor({ backend: 'local', maxCores: 4 });     // 4 ranks take 4 cores of maxCores (mpirun may oversubscribe real ones)
const spec = Jobspec.fromCommand(hello, { numTasks: 4 }).setAttribute('system.shell.options.mpi', 'auto'); // or 'openmpi', 'mpich'
const fut = ex.submit(spec);     // one `mpirun -np 4 -- CMD` (Open MPI) or `mpiexec -n 4 CMD` (MPICH); no MPI: MpiNotFoundError here
console.log((await fut).result, await fut.readStdout());                 // COMPLETED, ranks 0 to 3, each "of 4"
// readme:end
