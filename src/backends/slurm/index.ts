/**
 * The Slurm backend: jobs run as Slurm batch jobs, followed with one `squeue` per poll. Built on
 * the shared kit of `../batch/` (command runner, job script, status files, ...).
 *
 * @module
 */
export { SlurmBackend, type SlurmBackendOptions } from './slurm-backend.js';
export { SchedulerCommandError, SchedulerCommands, type CommandOutput } from '../batch/commands.js';
export { slurmControllerUnreachable } from './errors.js';
export { slurmCommands, slurmToolEnvironment } from './commands.js';
export { renderBatchScript, renderCoalescedBatchScript, durationToTimeLimit, type BatchScriptInput, type RenderedBatchScript, type RenderedCoalescedScript, type SlurmTaskInput } from './render-batch-script.js';
export type { BatchScriptFile } from '../batch/job-script.js';
export { SLURM_PROFILE, REAPER_SOURCE, SLURM_SCRIPT_SUFFIX, slurmScriptPath } from './profile.js';
export { SQUEUE_FORMAT, parseSqueue, parseSacct, parseSbatchParsable, parseScontrolConfig, expandArrayTaskIds, exitCodeToWaitStatus, squeueRowKeys, type SqueueRow } from './parse.js';
export { slurmState, isFinalSlurmState, type SlurmPhase, type SlurmStateInfo } from './state-map.js';
export { slurmFilenameLiteral } from './filename-pattern.js';
export { ownJobOf, parseScontrolJobFiles } from './script-parse-back.js';
