/**
 * The Grid Engine backend: jobs run as Grid Engine batch jobs, followed with one `qstat -xml` per
 * poll. Built on the shared kit of `../batch/` (command runner, job script, status files, ...).
 *
 * @module
 */
export { SgeBackend, type SgeBackendOptions } from './sge-backend.js';
export { sgePlugin, defaultSgeLogDir, type SgePluginOptions } from './plugin.js';
export { sgeCommands, sgeToolEnvironment, sgeQmasterUnreachable } from './commands.js';
export { renderSgeScript, sgeJobName, sgeQuote, durationToHardRuntime, isSgeJobVariable, SGE_REAPER_SOURCE, type SgeScriptInput, type RenderedSgeScript } from './render-script.js';
export { sgeScriptPath } from './submit.js';
export { AccountingReader, defaultAccountingFile } from './accounting.js';
export { parseQstatScriptFiles } from './recover.js';
export * from './parse.js';
export { sgeState, accountingOutcome, type SgePhase, type SgeStateInfo } from './state-map.js';
