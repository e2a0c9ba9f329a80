/**
 * {@link SgeContext}: the state the Grid Engine backend's parts (submit, poll, recover, control)
 * share: options, command runner, jobs, outcomes, background work.
 *
 * @module
 */
import type { BackendHost, JobHandle } from '../../core/backend.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { BackgroundWork } from '../batch/background-work.js';
import type { SchedulerCommands } from '../batch/commands.js';
import { statusPath } from '../batch/job-files.js';
import { OutcomeTable } from '../batch/outcomes.js';
import type { AccountingReader } from './accounting.js';
import { Phase, type SgeJob } from './job.js';
import type { SgeBackendOptions } from './options.js';

/** Suffix of generated Grid Engine job scripts. */
export const SGE_SCRIPT_SUFFIX = '.sge';

/** Shared state of one Grid Engine backend. */
export class SgeContext {
  /** The options as given. */
  readonly opts: SgeBackendOptions;
  /** The absolute log folder. */
  readonly logDir: string;
  /** Runs and counts Grid Engine's tools. */
  readonly commands: SchedulerCommands;
  /** The jobs followed (adopted ones stay after they end). */
  readonly jobs = new Map<JobHandle, SgeJob>();
  /** How ended jobs ended, for dependencies submitted later. */
  readonly outcomes = new OutcomeTable();
  /** Submissions and control commands in flight. */
  readonly work = new BackgroundWork();
  /** Set by `close()`. */
  closed = false;
  #host: BackendHost | undefined;

  /** Reads Grid Engine's accounting for jobs that left qstat without a status file. */
  readonly accounting: AccountingReader;

  constructor(opts: SgeBackendOptions, logDir: string, commands: SchedulerCommands, accounting: AccountingReader) {
    this.opts = opts;
    this.logDir = logDir;
    this.commands = commands;
    this.accounting = accounting;
  }

  /** Receives the engine's host. */
  bind(host: BackendHost): void {
    this.#host = host;
  }

  /** The engine's host. @throws {@link InvalidArgumentError} before `bind()`. */
  get host(): BackendHost {
    if (!this.#host) throw new InvalidArgumentError('host', 'SgeBackend.bind() was not called');
    return this.#host;
  }

  /** The job's status file: its own, or for an adopted job the one its script writes, if known. */
  statusFile(j: SgeJob): string | undefined {
    return j.adopted ? j.ownStatus : statusPath(this.logDir, j.f58);
  }

  /**
   * The job is over for the backend: forget it (adopted jobs stay). Its outcome stays known as
   * failed unless it was recorded as completed.
   */
  done(j: SgeJob): void {
    j.phase = Phase.DONE;
    if (j.nativeId !== undefined) this.accounting.forget(j.nativeId);
    if (!j.adopted) this.jobs.delete(j.handle);
    this.outcomes.setFailedUnlessKnown(j.handle);
  }
}
