/**
 * {@link BatchContext}: the state the parts of a queueing-scheduler backend (submit, poll,
 * recover, control) share: options, command runner, jobs, outcomes, background work, the host.
 * Each backend extends it with what only its scheduler needs.
 *
 * @module
 */
import type { BackendHost, JobHandle } from '../../core/backend.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { BackgroundWork } from './background-work.js';
import type { SchedulerCommands } from './commands.js';
import type { BatchBackendOptions } from './options.js';
import { Outcome, OutcomeTable } from './outcomes.js';
import { Phase, type BatchJob } from './tracked-job.js';

/** Shared state of one queueing-scheduler backend. */
export class BatchContext<Job extends BatchJob, Options extends BatchBackendOptions> {
  /** The options as given. */
  readonly opts: Options;
  /** The absolute log folder. */
  readonly logDir: string;
  /** Runs and counts the scheduler's tools. */
  readonly commands: SchedulerCommands;
  /** The jobs followed (adopted ones stay after they end, for their output paths). */
  readonly jobs = new Map<JobHandle, Job>();
  /** How ended jobs ended, for dependencies submitted later. */
  readonly outcomes = new OutcomeTable();
  /** Submissions and control commands in flight. */
  readonly work = new BackgroundWork();
  /** Set by `close()`. */
  closed = false;
  readonly #backendName: string;
  #host: BackendHost | undefined;

  /** `backendName` names the backend class in the error of a missing `bind()`. */
  constructor(backendName: string, opts: Options, logDir: string, commands: SchedulerCommands) {
    this.#backendName = backendName;
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
    if (!this.#host) throw new InvalidArgumentError('host', `${this.#backendName}.bind() was not called`);
    return this.#host;
  }

  /** A job's native id once its submit command returned (undefined if it never got one). */
  nativeIdOnceSubmitted(job: JobHandle): Promise<string | undefined> {
    return this.jobs.get(job)?.submitted ?? Promise.resolve(this.host.nativeId(job));
  }

  /**
   * The native ids of `job`'s `afterany` dependencies still to wait for (each once submitted); an
   * ended dependency, or one that never reached the scheduler (and so ends here), is met.
   */
  async afteranyIds(job: JobHandle): Promise<string[]> {
    const ids: string[] = [];
    for (const d of this.host.dependencies(job, 'afterany')) {
      if (this.outcomes.get(d) !== Outcome.UNKNOWN) continue;
      const id = await this.nativeIdOnceSubmitted(d);
      if (id !== undefined && this.outcomes.get(d) === Outcome.UNKNOWN) ids.push(id);
    }
    return ids;
  }

  /**
   * The job is over for the backend: forget it (adopted jobs stay). Its outcome stays known as
   * failed unless it was recorded as completed.
   */
  done(j: Job): void {
    j.phase = Phase.DONE;
    if (!j.adopted) this.jobs.delete(j.handle);
    this.outcomes.setFailedUnlessKnown(j.handle);
  }
}
