import { homedir } from 'node:os';
import path from 'node:path';
import { LocalBackend, type LocalBackendOptions } from '../backends/local/local-backend.js';
import { SlurmBackend, type SlurmBackendOptions } from '../backends/slurm/index.js';
import { InvalidArgumentError } from '../util/errors.js';
import type { Backend } from '../core/backend.js';

/** Names of the built-in backends. */
export type BackendName = 'local' | 'slurm';

/**
 * Options passed through to the built-in backends; each takes what applies to it. For Slurm,
 * `logDir` (scripts, status files, default outputs: on a filesystem the compute nodes share)
 * defaults to `~/.jobfutures/slurm`.
 */
export type BackendOptions = LocalBackendOptions & Partial<Omit<SlurmBackendOptions, 'logDir'>>;

/** Makes a built-in backend by name. */
export function createBackend(name: BackendName, options: BackendOptions): Backend {
  switch (name) {
    case 'local':
      return new LocalBackend(options);
    case 'slurm': {
      const { logDir, partition, account, pollInterval, arrayThrottle, maxArraySize, commandPrefix, submitConcurrency, submitRetryMs, vanishGraceMs, commandTimeoutMs } = options;
      return new SlurmBackend({
        logDir: logDir ?? path.join(homedir(), '.jobfutures', 'slurm'),
        ...(partition !== undefined && { partition }),
        ...(account !== undefined && { account }),
        ...(pollInterval !== undefined && { pollInterval }),
        ...(arrayThrottle !== undefined && { arrayThrottle }),
        ...(maxArraySize !== undefined && { maxArraySize }),
        ...(commandPrefix !== undefined && { commandPrefix }),
        ...(submitConcurrency !== undefined && { submitConcurrency }),
        ...(submitRetryMs !== undefined && { submitRetryMs }),
        ...(vanishGraceMs !== undefined && { vanishGraceMs }),
        ...(commandTimeoutMs !== undefined && { commandTimeoutMs }),
      });
    }
    default:
      throw new InvalidArgumentError('opts.backend', `unknown backend '${String(name)}' (expected 'local', 'slurm' or a Backend instance)`);
  }
}
