/**
 * The inbox watcher (from Odyssey's `job_manager`): {@link setupWatchRoot} and {@link watchInbox}.
 *
 * @module
 */
export { watchInbox, type WatchOptions, type WatchSummary } from './watcher.js';
export { setupWatchRoot, watchRootPaths, WatchRootError, HELPER_FILES, JOB_SCRIPT, SCHEDULER_OUTPUT, WATCH_FOLDERS, type WatchRootPaths, type WatchFolder } from './layout.js';
export { WatcherRunningError } from './lock.js';
export type { WatchEvent, WatchWarningCode } from './events.js';
