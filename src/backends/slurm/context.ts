/**
 * {@link SlurmContext}: the state the Slurm backend's parts (submit, poll, recover, control)
 * share: options, command runner, jobs, outcomes, background work, cluster facts.
 *
 * @module
 */
import type { SchedulerCommands } from '../batch/commands.js';
import { BatchContext } from '../batch/context.js';
import { parseScontrolConfig } from './parse.js';
import type { SlurmJob } from './job.js';
import type { SlurmBackendOptions } from './options.js';

/** What the backend learns once from `scontrol show config`. */
export interface ClusterConfig {
  /** Most tasks per array (`MaxArraySize`; Slurm's default 1001 when unreadable). */
  readonly maxArraySize: number;
  /** Whether the cluster keeps accounting (so `sacct` can answer). */
  readonly accounting: boolean;
}

/** Slurm's default `MaxArraySize`. */
export const DEFAULT_MAX_ARRAY_SIZE = 1001;

/** Shared state of one Slurm backend: the kit's, and the cluster's configuration. */
export class SlurmContext extends BatchContext<SlurmJob, SlurmBackendOptions> {
  #config: Promise<ClusterConfig> | undefined;

  constructor(opts: SlurmBackendOptions, logDir: string, commands: SchedulerCommands) {
    super('SlurmBackend', opts, logDir, commands);
  }

  /** The cluster's `MaxArraySize` and accounting, read once (again after a failure). */
  clusterConfig(): Promise<ClusterConfig> {
    this.#config ??= this.commands.run('scontrol', ['show', 'config']).then(({ stdout }) => {
      const conf = parseScontrolConfig(stdout);
      const max = Number(conf.get('MaxArraySize'));
      const storage = conf.get('AccountingStorageType') ?? 'accounting_storage/none';
      return { maxArraySize: Number.isInteger(max) && max > 0 ? max : DEFAULT_MAX_ARRAY_SIZE, accounting: !storage.endsWith('/none') };
    });
    this.#config.catch(() => (this.#config = undefined));
    return this.#config;
  }
}
