/**
 * {@link SgeContext}: the state the Grid Engine backend's parts (submit, poll, recover, control)
 * share: the kit's (options, command runner, jobs, outcomes, background work) and the accounting reader.
 *
 * @module
 */
import type { SchedulerCommands } from '../batch/commands.js';
import { BatchContext } from '../batch/context.js';
import { statusPath } from '../batch/job-files.js';
import type { AccountingReader } from './accounting.js';
import type { SgeJob } from './job.js';
import type { SgeBackendOptions } from './options.js';

/** Suffix of generated Grid Engine job scripts. */
export const SGE_SCRIPT_SUFFIX = '.sge';

/** Shared state of one Grid Engine backend. */
export class SgeContext extends BatchContext<SgeJob, SgeBackendOptions> {
  /** Reads Grid Engine's accounting for jobs that left qstat without a status file. */
  readonly accounting: AccountingReader;

  constructor(opts: SgeBackendOptions, logDir: string, commands: SchedulerCommands, accounting: AccountingReader) {
    super('SgeBackend', opts, logDir, commands);
    this.accounting = accounting;
  }

  /** The job's status file: its own, or for an adopted job the one its script writes, if known. */
  statusFile(j: SgeJob): string | undefined {
    return j.adopted ? j.ownStatus : statusPath(this.logDir, j.f58);
  }

  /** As the kit's, and the accounting reader forgets the job. */
  override done(j: SgeJob): void {
    if (j.nativeId !== undefined) this.accounting.forget(j.nativeId);
    super.done(j);
  }
}
