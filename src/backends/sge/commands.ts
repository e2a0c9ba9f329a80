/**
 * The command runner for Grid Engine's tools (qsub, qstat, qdel, qhold, qrls, qacct): the shared
 * {@link SchedulerCommands} with Grid Engine's environment.
 *
 * @module
 */
import { SchedulerCommandError, SchedulerCommands, toolEnvironment } from '../batch/commands.js';
import { isQmasterUnreachable } from './parse.js';

/**
 * The environment for Grid Engine's tools: only what they need from `env` (`PATH`, `HOME`,
 * `USER`, `LOGNAME`, `LANG`, `SGE_ROOT`, `SGE_CELL`, `SGE_QMASTER_PORT`, `SGE_EXECD_PORT`,
 * `SGE_CLUSTER_NAME`). A job's own variables (`JOB_ID`, `SGE_TASK_ID`, ...) and output switches
 * (`SGE_LONG_QNAMES`, ...) stay out, so output is the same wherever the backend runs.
 */
export function sgeToolEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  return toolEnvironment(env, { names: ['SGE_ROOT', 'SGE_CELL', 'SGE_QMASTER_PORT', 'SGE_EXECD_PORT', 'SGE_CLUSTER_NAME'] });
}

/** A runner for Grid Engine's tools, with {@link sgeToolEnvironment} of this process. */
export function sgeCommands(opts: { prefix?: readonly string[]; timeoutMs?: number } = {}): SchedulerCommands {
  return new SchedulerCommands({ ...opts, env: sgeToolEnvironment(process.env) });
}

/** Whether a failed Grid Engine command could not reach qmaster (so it certainly did nothing). */
export function sgeQmasterUnreachable(error: unknown): boolean {
  return error instanceof SchedulerCommandError && isQmasterUnreachable(`${error.stderr}\n${error.message}`);
}
