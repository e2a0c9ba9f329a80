/**
 * The Flux backend: {@link FluxBackend} (one connection, batched submissions, one events
 * journal) and its plug-in; the wire client is in `wire/`.
 *
 * @packageDocumentation
 */
export { FluxBackend, defaultFluxLogDir, fluxId, fluxNativeId, type FluxBackendOptions, type ConnectionErrorListener } from './flux-backend.js';
export { fluxPlugin, type FluxPluginOptions } from './plugin.js';
export { fluxSubmission, jobPaths, taggedId, USER_TAG_KEY } from './submission.js';
