/**
 * The job store: every job, its events and its dependencies in one SQLite file, so that work
 * outlives the process that submitted it.
 */
export { JobStore, type JobStoreOptions } from './store.js';
export { StoreFormatError, StoreOpenError, DuplicateJobError } from './errors.js';
export { applyEvent, deriveState, initialState, type DerivedState } from './derive.js';
export { currentOwner, isOwnerAlive, sameOwner } from './owner.js';
export { APPLICATION_ID, SCHEMA_VERSION } from './schema.js';
export type {
  ClaimOptions,
  Dependency,
  DependencyKind,
  JobEventInput,
  JobFilter,
  JobIdLike,
  JobRecord,
  NewDependency,
  NewEvent,
  NewJob,
  Owner,
  StoredEvent,
} from './types.js';
