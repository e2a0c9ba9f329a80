/**
 * {@link FluxBackendOptions}: how a Flux backend is set up.
 *
 * @module
 */
import { defaultLogDir } from '../batch/job-files.js';

/** Options of {@link FluxBackend}. */
export interface FluxBackendOptions {
  /** The instance's URI (`local://PATH`). Default: `FLUX_URI` of this process. */
  uri?: string;
  /** Folder for default outputs (`<f58>.out`, `<f58>.err`). Default `~/.jobfutures/flux`. */
  logDir?: string;
  /** Reconnection backoff bounds in ms after the connection is lost. Defaults: `min` 100, `max` 5000. */
  reconnect?: { min?: number; max?: number };
}

/** A failed attempt to reach the broker, as `FluxBackend.onConnectionError` reports it. */
export type ConnectionErrorListener = (error: Error, attempt: number) => void;

/** The default folder of default outputs: `~/.jobfutures/flux` (the batch kit's rule). */
export function defaultFluxLogDir(): string {
  return defaultLogDir('flux');
}

