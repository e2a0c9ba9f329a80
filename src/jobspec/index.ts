/**
 * Flux Jobspec V1 (RFC 25 / RFC 14): the immutable {@link Jobspec} class, its builders,
 * validation errors and JSON Schema.
 *
 * @module
 */
export { Jobspec, type DumpOptions, type ParseOptions } from './jobspec.js';
export { JobspecParseError, JobspecValidationError } from './errors.js';
export { JOBSPEC_V1_SCHEMA } from './schema.js';
export { PLACEHOLDER_NAME, substitutePlaceholders } from './placeholders.js';
export { MPI_OPTION_VALUES, MPI_OPTION_POINTER, isMpiOption, type MpiOption } from './mpi-option.js';
export type { JobspecTextFormat } from './parse.js';
export type {
  CoreVertex,
  FileRedirect,
  FromBatchCommandOptions,
  FromCommandOptions,
  GpuVertex,
  JobspecAttributes,
  JobspecDependency,
  JobspecFile,
  JobspecIssue,
  JobspecV1Object,
  NodeVertex,
  ShellOptions,
  SlotVertex,
  SystemAttributes,
  TaskCount,
  TaskV1,
} from './types.js';
