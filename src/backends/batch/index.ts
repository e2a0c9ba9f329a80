/**
 * The kit shared by the queueing-scheduler backends (Slurm, Grid Engine, Flux): a command runner,
 * shell quoting, the job script with its Perl reaper and status file, reading our scripts back,
 * and the runtime pieces of a polling backend (submit slots, retries, the missing-job grace,
 * dependency outcomes, background work, the base backend class). Nothing here names a scheduler.
 *
 * @module
 */
export { SchedulerCommands, SchedulerCommandError, toolEnvironment, type SchedulerCommandsOptions, type CommandOutput, type ToolEnvironmentRule } from './commands.js';
export { shQuote, shTemplate, isShellName, expandPathTemplate } from './quote.js';
export { SchedulerVariables } from './scheduler-variables.js';
export { reaperSource, type ReaperProfile } from './reaper.js';
export { defineSchedulerProfile, type SchedulerProfile, type SchedulerProfileInput } from './scheduler-profile.js';
export { renderJobScript, printfFormat, assembleJobScript, renderScriptBody, SCRIPT_MARKER, INLINE_TABLE_MAX, TABLE_ROW_PREFIX, type JobScriptInput, type JobScriptOptions, type JobTableRow, type TaskLauncher, type BatchScriptFile } from './job-script.js';
export { renderCoalescedJobScript, type CoalescedTask, type CoalescedJobScript, type TaskBodyFile } from './coalesced-script.js';
export { SubmitCoalescer, type SubmitCoalescerOptions } from './coalescer.js';
export { parseOwnScript, opensDefaultOutputs, type OwnScriptJob } from './script-parse-back.js';
export { defaultLogDir, trimSlash, statusPath, startedPath, tmpdirPath, scriptPath, taskBodyPath, defaultOutputTemplates } from './job-files.js';
export { parseStatusFile, readStatusFile, commandStarted, clearRunFiles, type StatusFile } from './status-file.js';
export { checkBatchSpec, jobName, jobCwd, pathTemplates, outputPaths, processEnvironment, Lazy, type BatchSpecView } from './spec.js';
export { SubmitSlots } from './submit-slots.js';
export { retry, retryFor, backoffMs, sleep } from './retry.js';
export { MissingGrace, type Missable } from './missing-grace.js';
export { OutcomeTable, Outcome } from './outcomes.js';
export { BackgroundWork, type ControlChain } from './background-work.js';
export { firstLine, lastLine } from './text.js';
export { expandIndexRange } from './index-range.js';
export { Phase, newSubmittedBatchJob, newAdoptedBatchJob, settleSubmitted, abandonUnsubmitted, optional, type BatchJob, type SubmitterContext } from './tracked-job.js';
export { BatchContext } from './context.js';
export { BatchBackend, batchBackendSetup, type BatchBackendSetup } from './batch-backend.js';
export { checkBatchOptions, type BatchBackendOptions, type CheckedBatchOptions } from './options.js';
