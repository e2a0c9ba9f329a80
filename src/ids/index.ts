/**
 * Job ids (Flux RFC 19): the {@link JobID} value type with every encoding (decimal, hex, dothex,
 * kvs, F58, words) and the {@link FluidGenerator} that makes unique, time-ordered ids.
 *
 * @packageDocumentation
 */
export { JobID } from './jobid.js';
export { JobIDParseError, FluidRangeError } from './errors.js';
export { FLUID_EPOCH_MS, FLUID_TIMESTAMP_BITS, FLUID_GENERATOR_BITS, FLUID_SEQUENCE_BITS, jobidFromParts } from './layout.js';
export { FluidGenerator, type FluidGeneratorOptions } from './fluid.js';
export { F58_ALPHABET } from './f58.js';
