/**
 * The Grid Engine backend's plug-in: jobs go to Grid Engine at once (`qsub`), and a stored job is
 * signaled with the backend's own tools.
 */
import path from 'node:path';

import type { BackendPlugin } from '../../core/plugin.js';
import { defaultLogDir, statusPath } from '../batch/job-files.js';
import { sgeCommands } from './commands.js';
import { signalJob } from './control.js';
import { SgeBackend, type SgeBackendOptions } from './sge-backend.js';

/** Grid Engine's options as the executor takes them: `logDir` defaults to `~/.jobfutures/sge`. */
export type SgePluginOptions = Partial<SgeBackendOptions>;

/** The default folder of scripts and status files (must be shared with the execution hosts). */
export function defaultSgeLogDir(): string {
  return defaultLogDir('sge');
}

/** The Grid Engine backend's plug-in. */
export const sgePlugin: BackendPlugin<SgePluginOptions> = {
  name: 'sge',
  summary: 'Grid Engine batch jobs (qsub, one qstat per poll)',
  create: (options) => new SgeBackend({ ...options, logDir: options.logDir ?? defaultSgeLogDir() }),
  submitsAtOnce: true,
  mayExist: () => true,
  async signalStored(job, signal, options: SgePluginOptions) {
    if (job.nativeId === undefined) return false;
    // SIGTERM/SIGKILL end the job: qdel. Other signals reach the job's processes on this host only.
    if (signal === 'SIGTERM' || signal === 'SIGKILL') {
      const commands = sgeCommands({ prefix: options.commandPrefix, timeoutMs: options.commandTimeoutMs });
      try {
        await commands.run('qdel', [job.nativeId]);
        return true;
      } catch {
        return false;
      }
    }
    try {
      return signalJob(statusPath(path.resolve(options.logDir ?? defaultSgeLogDir()), job.f58), job.nativeId, signal);
    } catch {
      return false;
    }
  },
};
