/**
 * jobfutures: `concurrent.futures` for batch jobs. Describe a job as a Flux Jobspec V1, submit it to
 * a {@link JobExecutor}, get a promise-like {@link JobFuture} back.
 * @packageDocumentation
 */
export * from './util/errors.js';
export * from './ids/index.js';
export * from './jobspec/index.js';
export * from './executor/index.js';
export * from './reactor/index.js';
export { LocalBackend } from './backends/local/local-backend.js';
export type { LocalBackendOptions } from './backends/local/local-backend.js';
export { SlurmBackend } from './backends/slurm/index.js';
export { FluxBackend } from './backends/flux/index.js';
export { SchedulerCommandError } from './backends/batch/index.js';
export type { SlurmBackendOptions } from './backends/slurm/index.js';
export type { FluxBackendOptions } from './backends/flux/index.js';
export { JobStore, StoreFormatError, StoreOpenError, DuplicateJobError } from './store/index.js';
export type { JobRecord, JobFilter, StoredEvent, Owner } from './store/index.js';
export { watchInbox, setupWatchRoot, watchRootPaths, WatchRootError, WatcherRunningError, HELPER_FILES, JOB_SCRIPT, SCHEDULER_OUTPUT, WATCH_FOLDERS } from './workflows/watch/index.js';
export type { WatchOptions, WatchSummary, WatchEvent, WatchWarningCode, WatchRootPaths, WatchFolder } from './workflows/watch/index.js';
export { scan, planScan, loadRun, loadRuns, scanPoints, pointName, POINT_FILES, SCAN_FILE } from './workflows/scan/index.js';
export type { ScanOptions, ScanPoint, ScanJobOptions, ScanDescription, PlannedPoint, RunStatus, ScanRun, ScanValue, ScanPointParams } from './workflows/scan/index.js';
export type { JobEndRecord } from './workflows/files.js';
export { MpiNotFoundError, type MpiFlavour } from './backends/batch/mpi.js';
export * from './workflows/apps/index.js';
