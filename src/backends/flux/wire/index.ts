/**
 * A client for Flux's own message protocol over the `local://` unix socket (no flux process per
 * call): message codec, connection with matchtag-matched and streaming RPCs, and job RPCs.
 * See README.md here for the byte layout and payloads, with their flux-core sources.
 *
 * @packageDocumentation
 */
export * from './constants.js';
export * from './errors.js';
export { parseJson, stringifyJson, type JsonObject, type JsonValue } from './json.js';
export { encodeMessage, decodeMessage, encodeJsonPayload, decodeJsonPayload, decodeStringPayload, type FluxMessage } from './message.js';
export { frameMessage, MessageReader } from './framing.js';
export { FluxConnection, localPathOf, type FluxStream, type RequestOptions } from './connection.js';
export { signNone, unwrapNone } from './sign-none.js';
export { parseEventlog, parseEventlogEntry, toEventlogEntry, decodeWaitStatus, type EventlogEntry, type WaitStatus } from './eventlog.js';
export * from './jobs.js';
