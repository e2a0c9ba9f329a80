/**
 * The Slurm backend: jobs run as Slurm batch jobs, followed with one `squeue` per poll.
 *
 * @module
 */
export { SlurmBackend, type SlurmBackendOptions } from './slurm-backend.js';
export { SlurmCommandError, SlurmBackendClosedError } from './errors.js';
export { SlurmCommands, schedulerEnvironment, type SlurmCommandsOptions, type CommandOutput } from './commands.js';
export {
  renderBatchScript,
  durationToTimeLimit,
  statusPath,
  tmpdirPath,
  startedPath,
  scriptPath,
  type BatchScriptInput,
  type BatchScriptFile,
  type RenderedBatchScript,
} from './render-batch-script.js';
export {
  SQUEUE_FORMAT,
  parseSqueue,
  parseSacct,
  parseSbatchParsable,
  parseScontrolConfig,
  parseStatusFile,
  expandArrayTaskIds,
  exitCodeToWaitStatus,
  squeueRowKeys,
  type SqueueRow,
  type StatusFile,
} from './parse.js';
export { slurmState, isFinalSlurmState, type SlurmPhase, type SlurmStateInfo } from './state-map.js';
export { shQuote, shTemplate, slurmFilenameLiteral, expandPathTemplate, isShellName } from './quote.js';
export { REAPER_SOURCE } from './reaper.js';
