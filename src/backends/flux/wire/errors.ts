/**
 * Errors of the Flux wire client: an RPC that Flux answered with an error, a connection that could
 * not be made or was lost, and bytes that do not decode as a Flux message.
 *
 * @module
 */
import { getSystemErrorName } from 'node:util';
import { JobfuturesError } from '../../../util/errors.js';

/**
 * The symbolic name of a Linux errno as Flux sends it (`ENOENT` for 2), or `errno N` when unknown.
 *
 * @param errnum - A positive errno value from a Flux response.
 */
export function errnoName(errnum: number): string {
  try {
    return getSystemErrorName(-errnum);
  } catch {
    return `errno ${errnum}`;
  }
}

/**
 * Flux answered a request with an error response (nonzero errnum in the message header), e.g.
 * `job-manager.urgency: ENOENT (2): unknown job`.
 */
export class FluxRpcError extends JobfuturesError {
  /** The request topic, e.g. `job-ingest.submit`. */
  readonly topic: string;
  /** The errno value Flux sent, e.g. 22 (EINVAL). */
  readonly errnum: number;
  /** The symbolic errno name, e.g. `EINVAL`. */
  readonly errname: string;
  /** The error text Flux sent with it, or `undefined` when the response had none. */
  readonly errstr: string | undefined;

  constructor(topic: string, errnum: number, errstr: string | undefined) {
    const name = errnoName(errnum);
    super('ERR_FLUX_RPC', `${topic}: ${name} (${errnum})${errstr ? `: ${errstr}` : ''}`);
    this.topic = topic;
    this.errnum = errnum;
    this.errname = name;
    this.errstr = errstr;
  }
}

/**
 * The connection to the broker could not be made, was refused by the broker's handshake, or was
 * lost (or closed) while requests were pending. `uri` names the instance.
 */
export class FluxConnectionError extends JobfuturesError {
  /** The instance's URI, e.g. `local:///run/flux/local-0`. */
  readonly uri: string;

  constructor(uri: string, message: string, options?: { cause?: unknown }) {
    super('ERR_FLUX_CONNECTION', `flux ${uri}: ${message}`, options);
    this.uri = uri;
  }
}

/**
 * Bytes that do not decode as a Flux message (bad magic, version, frame lengths, or a JSON payload
 * that is not a JSON object), or a value that cannot be encoded as one. `where` says which part.
 */
export class FluxProtocolError extends JobfuturesError {
  /** Which part of the message was wrong, e.g. `proto frame` or `payload of job-ingest.submit`. */
  readonly where: string;

  constructor(where: string, message: string) {
    super('ERR_FLUX_PROTOCOL', `flux message ${where}: ${message}`);
    this.where = where;
  }
}
