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
