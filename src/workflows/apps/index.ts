/**
 * The app registry (from libEnsemble's job controller): register programs by name, launch them
 * by name on a {@link JobExecutor} with a process count and arguments, poll, kill with a grace
 * time, read their outputs, and follow them with {@link pollingLoop}.
 *
 * @module
 */
export { AppRegistry, type AppDefinition, type AppRegistryOptions, type LaunchOptions, type RegisterOptions } from './registry.js';
export { AppTask, APP_TASK_FINAL_STATES, DEFAULT_KILL_WAIT_MS, type AppTaskState, type KillOptions } from './task.js';
export { pollingLoop, type PollingLoopOptions, type PollingLoopOutcome } from './polling-loop.js';
export { UnknownAppError } from './errors.js';
export { splitAppArgs } from './app-args.js';
