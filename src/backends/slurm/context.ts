/**
 * {@link SlurmContext}: the state the Slurm backend's parts (submit, poll, recover, control)
 * share: options, command runner, jobs, outcomes, background work, cluster facts.
 *
 * @module
 */
import type { BackendHost, JobHandle } from '../../core/backend.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { BackgroundWork } from '../batch/background-work.js';
import type { SchedulerCommands } from '../batch/commands.js';
import { OutcomeTable } from '../batch/outcomes.js';
import { parseScontrolConfig } from './parse.js';
import { Phase, type SlurmJob } from './job.js';
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

/** Shared state of one Slurm backend. */
export class SlurmContext {
  /** The options as given. */
  readonly opts: SlurmBackendOptions;
  /** The absolute log folder. */
  readonly logDir: string;
  /** Runs and counts Slurm's tools. */
  readonly commands: SchedulerCommands;
  /** The jobs followed (adopted ones stay after they end, for their output paths). */
  readonly jobs = new Map<JobHandle, SlurmJob>();
  /** How ended jobs ended, for dependencies submitted later. */
  readonly outcomes = new OutcomeTable();
  /** Submissions and control commands in flight. */
  readonly work = new BackgroundWork();
  /** Set by `close()`. */
  closed = false;
  #host: BackendHost | undefined;
  #config: Promise<ClusterConfig> | undefined;

  constructor(opts: SlurmBackendOptions, logDir: string, commands: SchedulerCommands) {
    this.opts = opts;
    this.logDir = logDir;
    this.commands = commands;
  }

  /** Receives the engine's host. */
  bind(host: BackendHost): void {
    this.#host = host;
  }

  /** The engine's host. @throws {@link InvalidArgumentError} before `bind()`. */
  get host(): BackendHost {
    if (!this.#host) throw new InvalidArgumentError('host', 'SlurmBackend.bind() was not called');
    return this.#host;
  }

  /**
   * The job is over for the backend: forget it (adopted jobs stay, for their output paths). Its
   * outcome stays known as failed unless it was recorded as completed.
   */
  done(j: SlurmJob): void {
    j.phase = Phase.DONE;
    if (!j.adopted) this.jobs.delete(j.handle);
    this.outcomes.setFailedUnlessKnown(j.handle);
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
