/**
 * The Flux backend: {@link FluxBackend} (one connection, batched submissions, one events
 * journal) and its plug-in; the wire client is in `wire/`.
 *
 * @packageDocumentation
 */
export { FluxBackend } from './flux-backend.js';
export { defaultFluxLogDir, type FluxBackendOptions, type ConnectionErrorListener } from './options.js';
export { fluxId, fluxNativeId } from './job-index.js';
export { fluxPlugin, type FluxPluginOptions } from './plugin.js';
export { fluxSubmission, jobPaths, taggedId, USER_TAG_KEY } from './submission.js';
