import { LocalBackend, type LocalBackendOptions } from '../backends/local/local-backend.js';
import { InvalidArgumentError } from '../errors.js';
import type { Backend } from './backend.js';

/** Names of the built-in backends. */
export type BackendName = 'local';

/** Options passed through to the built-in backends (each takes what applies to it). */
export type BackendOptions = LocalBackendOptions;

/** Makes a built-in backend by name. */
export function createBackend(name: BackendName, options: BackendOptions): Backend {
  switch (name) {
    case 'local':
      return new LocalBackend(options);
    default:
      throw new InvalidArgumentError('opts.backend', `unknown backend '${String(name)}' (expected 'local' or a Backend instance)`);
  }
}
