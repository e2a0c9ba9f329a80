/**
 * The record of a local job that has processes, or is getting them: how many of its tasks were
 * asked for, started, failed, withdrawn and ended, and what the spawner reported about them.
 */
import type { LaunchPlan } from './job-files.js';

/** A job with real processes (running, being started, or a standby waiting inside the spawner). */
export interface RunningJob {
  readonly cores: number;
  readonly ntasks: number;
  /** Pids of its started tasks. */
  readonly pids: number[];
  /** Spawner keys of its tasks asked for and not answered yet (no start, failure or withdrawal), by rank; -1 once answered. */
  readonly keys: number[];
  requested: number;
  spawned: number;
  failedSpawns: number;
  /** Tasks taken back before they started (a job canceled before it ran). */
  withdrawn: number;
  exited: number;
  maxStatus: number;
  /** When its first task started and its last one was reaped, as the spawner reported (0: not yet). */
  tStart: number;
  tEnd: number;
  terminating: boolean;
  execFailed: boolean;
  /** Hand-off class of its process (its cores; single-task jobs only), 0 for none. */
  readonly handoff: number;
  /** A standby whose withdrawal was asked for (to be canceled, or to go back to the queue). */
  withdrawing: boolean;
  readonly launch: LaunchPlan;
}

/** A new record for a job about to be started (or handed to the spawner as a standby). */
export function newRunningJob(cores: number, ntasks: number, handoff: number, launch: LaunchPlan): RunningJob {
  return {
    cores,
    ntasks,
    pids: [],
    keys: [],
    requested: 0,
    spawned: 0,
    failedSpawns: 0,
    withdrawn: 0,
    exited: 0,
    maxStatus: 0,
    tStart: 0,
    tEnd: 0,
    terminating: false,
    execFailed: false,
    handoff,
    withdrawing: false,
    launch,
  };
}

/** Every task that was asked for has ended, failed to start or been withdrawn, and no more will be asked for. */
export function allTasksDone(run: RunningJob): boolean {
  return run.exited + run.failedSpawns + run.withdrawn === run.requested && (run.requested === run.ntasks || run.execFailed);
}

/** Whether some task was asked for and not answered yet (its process may exist unbeknown to us). */
export function hasUnansweredTasks(run: RunningJob): boolean {
  return run.spawned + run.failedSpawns + run.withdrawn < run.requested;
}

/** The `exec` exception note and exit code for a task that could not start. */
export function spawnFailure(run: RunningJob, rank: number, errno: string, message: string): { note: string; code: number } {
  const argv0 = run.launch.argv[0] ?? '';
  const code = errno === 'EACCES' || errno === 'EPERM' ? 126 : 127;
  const why =
    errno.endsWith(':cwd') || errno === 'ENOTDIR'
      ? `cwd ${run.launch.cwd ?? ''}: ${message}`
      : errno === 'ENOENT'
        ? `${argv0}: command not found`
        : errno === 'EACCES'
          ? `${argv0}: permission denied`
          : `${argv0}: ${message} (${errno})`;
  return { note: `cannot start task ${rank}: ${why}`, code };
}
