/**
 * MPI launch, shared by every backend: which MPI a job's `mpi` option (`openmpi`, `mpich`, `auto`;
 * see `jobspec/mpi-option.ts`) means on this machine, and the argv that starts a job's tasks as one
 * MPI job.
 *
 * - {@link findMpi} looks for the launcher on a `PATH` (Debian installs both flavours side by
 *   side: `mpirun.openmpi`, `mpiexec.mpich`, and `mpirun`/`mpiexec` as alternatives pointing at one
 *   of them) and tells the flavour from its `--version` (cached per file); nothing found is an
 *   {@link MpiNotFoundError} naming every name and folder looked at.
 * - {@link mpiLaunchCommand}: `mpirun -np N [--oversubscribe] -- CMD` (Open MPI; run as root it
 *   needs `OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1`) or `mpiexec -n N CMD`
 *   (MPICH's Hydra), for a backend that starts the launcher itself (local; Grid Engine inside its
 *   parallel environment).
 * - {@link MPI_RANK_VARIABLE} and {@link MPI_VARIABLES}: what a batch job script must let through
 *   to each rank when the ranks are started by an MPI-aware launcher (`srun --mpi=pmi2`, `mpirun`);
 *   {@link mpiSchedulerProfile} is a scheduler's profile that does, and {@link mpirunTaskLauncher}
 *   the shared job script's launcher that runs `mpirun` inside the scheduler's allocation (Open
 *   MPI and MPICH's Hydra read the allocation from the scheduler's variables).
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants as fsConstants, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { UnsatisfiableRequestError } from '../../core/errors.js';
import { MPI_OPTION_POINTER, type MpiOption } from '../../jobspec/index.js';
import type { TaskLauncher } from './job-script.js';
import { defineSchedulerProfile, type SchedulerProfile } from './scheduler-profile.js';

/** An MPI implementation jobfutures can launch. */
export type MpiFlavour = 'openmpi' | 'mpich';

/** An MPI launcher found on this machine. */
export interface MpiInstallation {
  /** Which implementation it belongs to. */
  readonly flavour: MpiFlavour;
  /** Absolute path of the launcher (`/usr/bin/mpirun.openmpi`). */
  readonly launcher: string;
  /** The first line of its `--version`, e.g. `mpirun (Open MPI) 4.1.4`. */
  readonly version: string;
}

/** No MPI launcher of the asked flavour was found; thrown by a backend's `check()`, so no job is made. */
export class MpiNotFoundError extends UnsatisfiableRequestError {
  /** The option value asked for. */
  readonly option: MpiOption;
  /** The program names looked for, in order. */
  readonly lookedFor: readonly string[];
  /** The folders searched (the job's `PATH`). */
  readonly searched: readonly string[];

  constructor(option: MpiOption, lookedFor: readonly string[], searched: readonly string[], detail = '') {
    super(
      MPI_OPTION_POINTER,
      `no ${option === 'auto' ? 'MPI' : FLAVOUR_NAMES[option]} launcher found for mpi='${option}': looked for ${lookedFor.join(', ')} in PATH=${searched.join(':')}${detail}` +
        ` (Debian: apt-get install ${option === 'mpich' ? 'mpich' : option === 'openmpi' ? 'openmpi-bin' : 'openmpi-bin or mpich'})`,
    );
    this.option = option;
    this.lookedFor = lookedFor;
    this.searched = searched;
  }
}

const FLAVOUR_NAMES: Readonly<Record<MpiFlavour, string>> = { openmpi: 'Open MPI', mpich: 'MPICH' };

/** Launcher names looked for, per option value, in order (flavour-specific names first, then the defaults). */
export const MPI_LAUNCHER_NAMES: Readonly<Record<MpiOption, readonly string[]>> = {
  openmpi: ['mpirun.openmpi', 'mpiexec.openmpi', 'mpirun', 'mpiexec', 'orterun'],
  mpich: ['mpiexec.mpich', 'mpiexec.hydra', 'mpirun.mpich', 'mpiexec', 'mpirun'],
  auto: ['mpirun', 'mpiexec', 'mpirun.openmpi', 'mpiexec.mpich', 'mpiexec.hydra'],
};

/** Variable holding a rank's number, as each flavour's launcher sets it. */
export const MPI_RANK_VARIABLE: Readonly<Record<MpiFlavour, string>> = { openmpi: 'OMPI_COMM_WORLD_RANK', mpich: 'PMI_RANK' };

/**
 * Variables (`NAME` or `PREFIX*`) MPI launchers hand to each rank, through which it finds the
 * others (PMI/PMIx servers, Open MPI's daemons): a job script that clears the environment must
 * keep them for MPI jobs.
 */
export const MPI_VARIABLES: readonly string[] = ['PMI_*', 'PMIX_*', 'OMPI_*', 'OPAL_*', 'ORTE_*', 'HYDRA_*', 'HYDI_*', 'MPIR_*', 'MPICH_*'];

/** `--version` results by real path (launchers do not change while we run). */
const flavourCache = new Map<string, { flavour: MpiFlavour; version: string } | null>();

/**
 * The MPI launcher for `option` on `searchPath` (a `PATH` value).
 *
 * @throws {@link MpiNotFoundError} when no launcher of that flavour (any flavour for `auto`) is there.
 */
export function findMpi(option: MpiOption, searchPath: string): MpiInstallation {
  const dirs = searchPath.split(':').filter((d) => d !== '');
  const names = MPI_LAUNCHER_NAMES[option];
  const other: string[] = [];
  for (const name of names) {
    for (const dir of dirs) {
      const file = path.resolve(dir, name);
      if (!isExecutableFile(file)) continue;
      const kind = identify(file);
      if (kind === null) continue;
      if (option === 'auto' || kind.flavour === option) return { flavour: kind.flavour, launcher: file, version: kind.version };
      other.push(`${file} is ${FLAVOUR_NAMES[kind.flavour]}`);
    }
  }
  throw new MpiNotFoundError(option, names, dirs, other.length > 0 ? ` (${[...new Set(other)].join('; ')})` : '');
}

/** What {@link mpiLaunchCommand} needs besides the launcher. */
export interface MpiLaunchInput {
  /** Ranks to start. */
  readonly numTasks: number;
  /** The command of each rank. */
  readonly command: readonly string[];
  /** Cores of the machine the launcher runs on (Open MPI refuses more ranks without `--oversubscribe`). Default: {@link physicalCores}. */
  readonly cores?: number;
  /** The launcher runs as root (Open MPI refuses unless told). Default: this process's uid is 0. */
  readonly root?: boolean;
}

/** The argv of the launcher and the variables it needs on top of the job's environment. */
export interface MpiLaunchCommand {
  readonly argv: readonly string[];
  /** `KEY=VALUE` additions (Open MPI as root: its two run-as-root variables). */
  readonly env: readonly string[];
}

/**
 * The command that runs `input.command` as `input.numTasks` ranks of one MPI job under `mpi`'s
 * launcher, on the machine the launcher runs on.
 */
export function mpiLaunchCommand(mpi: MpiInstallation, input: MpiLaunchInput): MpiLaunchCommand {
  const n = String(input.numTasks);
  if (mpi.flavour === 'mpich') return { argv: [mpi.launcher, '-n', n, ...input.command], env: [] };
  const cores = input.cores ?? physicalCores();
  const root = input.root ?? process.getuid?.() === 0;
  const argv = [mpi.launcher, '-np', n, ...(input.numTasks > cores ? ['--oversubscribe'] : []), '--', ...input.command];
  return { argv, env: root ? ['OMPI_ALLOW_RUN_AS_ROOT=1', 'OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1'] : [] };
}

/**
 * `command` wrapped so that each rank sees `JOBFUTURES_TASK_RANK` (its MPI rank, from the
 * flavour's {@link MPI_RANK_VARIABLE}) and `JOBFUTURES_JOB_SIZE` (`numTasks`), as a task of a
 * job without MPI does: a `sh` that sets them and execs the command (no process stays behind).
 */
export function withRankVariables(mpi: MpiInstallation, numTasks: number, command: readonly string[]): string[] {
  const setRank = `export JOBFUTURES_TASK_RANK="\${${MPI_RANK_VARIABLE[mpi.flavour]}:-0}" JOBFUTURES_JOB_SIZE=${numTasks}; exec "$@"`;
  return ['/bin/sh', '-c', setRank, 'sh', ...command];
}

let cachedCores: number | undefined;

/**
 * Physical cores of this machine (distinct `physical id`/`core id` pairs of `/proc/cpuinfo`; Open
 * MPI's default slot count), else `os.availableParallelism()`.
 */
export function physicalCores(): number {
  if (cachedCores !== undefined) return cachedCores;
  let count = 0;
  try {
    const seen = new Set<string>();
    for (const block of readFileSync('/proc/cpuinfo', 'utf8').split(/\n\s*\n/)) {
      const phys = /^physical id\s*:\s*(\d+)/m.exec(block)?.[1];
      const core = /^core id\s*:\s*(\d+)/m.exec(block)?.[1];
      if (phys !== undefined && core !== undefined) seen.add(`${phys}/${core}`);
    }
    count = seen.size;
  } catch {
    count = 0;
  }
  return (cachedCores = count > 0 ? count : availableParallelism());
}

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The flavour of a launcher from its `--version` (Open MPI: `(Open MPI)` / `(OpenRTE)`; MPICH: `HYDRA`), or null. */
function identify(file: string): { flavour: MpiFlavour; version: string } | null {
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    return null;
  }
  const known = flavourCache.get(real);
  if (known !== undefined) return known;
  let text = '';
  try {
    text = execFileSync(file, ['--version'], { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    text = String((error as { stdout?: unknown }).stdout ?? '');
  }
  const first = text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
  const result: { flavour: MpiFlavour; version: string } | null = /Open ?MPI|OpenRTE/i.test(text)
    ? { flavour: 'openmpi', version: first }
    : /HYDRA|MPICH/i.test(text)
      ? { flavour: 'mpich', version: /Version:\s*(\S+)/.exec(text)?.[1] ? `MPICH ${/Version:\s*(\S+)/.exec(text)![1]}` : first }
      : null;
  flavourCache.set(real, result);
  return result;
}

/**
 * `mpirun`/`mpiexec` as the shared job script's {@link TaskLauncher}, run inside the scheduler's
 * allocation (which gives the slots and, on several nodes, how to reach them): `-np N` (Open MPI,
 * with `--allow-run-as-root` when `root`) or `-n N` (MPICH). The program is the launcher's file
 * name, looked up on the node's `PATH` (the nodes are assumed to have the MPI found here).
 */
export function mpirunTaskLauncher(mpi: MpiInstallation, numTasks: number, root = process.getuid?.() === 0): TaskLauncher {
  const program = path.basename(mpi.launcher);
  if (mpi.flavour === 'mpich') return { program, args: ['-n', String(numTasks)] };
  return { program, args: ['-np', String(numTasks), ...(root ? ['--allow-run-as-root'] : [])] };
}

const mpiProfiles = new WeakMap<SchedulerProfile, Map<string, SchedulerProfile>>();

/**
 * `profile` for MPI jobs: the ranks also keep {@link MPI_VARIABLES} (without them each rank would
 * start as a world of one), and a rank's number is read from `rankVariable` (`SLURM_PROCID` under
 * `srun`; {@link MPI_RANK_VARIABLE} under `mpirun`). Built once per profile and rank variable.
 */
export function mpiSchedulerProfile(profile: SchedulerProfile, rankVariable: string): SchedulerProfile {
  let byRank = mpiProfiles.get(profile);
  if (byRank === undefined) mpiProfiles.set(profile, (byRank = new Map()));
  let out = byRank.get(rankVariable);
  if (out === undefined) {
    out = defineSchedulerProfile({
      variables: [...profile.variables.patterns, ...MPI_VARIABLES],
      specMaySet: [...profile.specMaySet],
      arrayIndexVariable: profile.arrayIndexVariable,
      firstArrayIndex: profile.firstArrayIndex,
      ...(profile.restartVariable !== undefined && { restartVariable: profile.restartVariable }),
      rankVariable,
    });
    byRank.set(rankVariable, out);
  }
  return out;
}

/** Whether the spec runs as one MPI job: the `mpi` option and more than one task. */
export function isMpiJob(spec: { readonly mpi?: MpiOption | undefined; readonly numTasks: number }): boolean {
  return spec.mpi !== undefined && spec.numTasks > 1;
}

/**
 * The MPI a job with the `mpi` option runs under, looked up on the submitting machine with
 * the job's `PATH` (the nodes are assumed to have the same); `undefined` for a job that is not an
 * MPI job (no option, or one task).
 *
 * @throws {@link MpiNotFoundError} when it is not installed.
 */
export function jobMpi(spec: { readonly mpi?: MpiOption | undefined; readonly numTasks: number; readonly environment?: Readonly<Record<string, string>> | undefined }): MpiInstallation | undefined {
  if (spec.mpi === undefined || !isMpiJob(spec)) return undefined;
  const searchPath = spec.environment === undefined ? process.env.PATH : spec.environment.PATH;
  return findMpi(spec.mpi, searchPath ?? '/usr/bin:/bin');
}

/**
 * SIGKILLs every process below `pids` (and the process groups they lead); used by the local and
 * Grid Engine backends for SIGKILL of an MPI job. An MPI launcher puts
 * each rank in its own process group (Open MPI's `mpirun` does), so SIGKILL to the launcher's
 * group alone would orphan the ranks; the launcher cannot forward a SIGKILL. Call it before
 * killing the launcher (afterwards its ranks are no longer its children). Reads
 * `/proc/PID/task/TID/children`; does nothing where that is missing.
 */
export function killDescendants(pids: readonly number[]): void {
  const seen = new Set<number>();
  const stack = [...pids];
  while (stack.length > 0) {
    for (const child of childrenOf(stack.pop()!)) {
      if (seen.has(child)) continue;
      seen.add(child);
      stack.push(child);
    }
  }
  for (const pid of seen) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // not a group leader, or gone already
      }
    }
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        for (const word of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ')) if (word !== '' && word !== '\n') out.push(Number(word));
      } catch {
        // thread gone
      }
    }
  } catch {
    // process gone
  }
  return out.filter((n) => Number.isInteger(n) && n > 0);
}
