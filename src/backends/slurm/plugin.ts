/**
 * The Slurm backend's plug-in: jobs go to Slurm at once (`sbatch`), and a stored job is signaled
 * with the backend's own command runner.
 */
import type { BackendPlugin } from '../../core/plugin.js';
import { defaultLogDir } from '../batch/job-files.js';
import { slurmCommands } from './commands.js';
import { SlurmBackend, type SlurmBackendOptions } from './slurm-backend.js';

/** Slurm's options as the executor takes them: `logDir` defaults to `~/.jobfutures/slurm`. */
export type SlurmPluginOptions = Partial<SlurmBackendOptions>;

/** The default folder of scripts and status files (must be shared with the compute nodes). */
export function defaultSlurmLogDir(): string {
  return defaultLogDir('slurm');
}

/** The Slurm backend's plug-in. */
export const slurmPlugin: BackendPlugin<SlurmPluginOptions> = {
  name: 'slurm',
  summary: 'Slurm batch jobs (sbatch, one squeue per poll)',
  create: (options) => new SlurmBackend({ ...options, logDir: options.logDir ?? defaultSlurmLogDir() }),
  submitsAtOnce: true,
  mayExist: () => true,
  async signalStored(job, signal, options: SlurmPluginOptions) {
    if (job.nativeId === undefined) return false;
    const commands = slurmCommands({ prefix: options.commandPrefix, timeoutMs: options.commandTimeoutMs });
    try {
      await commands.run('scancel', signal === 'SIGTERM' ? [job.nativeId] : [`--signal=${signal.replace(/^SIG/, '')}`, job.nativeId]);
      return true;
    } catch {
      return false;
    }
  },
};
