/**
 * {@link SlurmRecovery}: the Slurm backend's take-over of jobs restored from a store whose owner
 * died, and `adopt` of jobs submitted elsewhere.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import type { JobHandle, RecoverInfo } from '../../core/backend.js';
import { defaultOutputTemplates, statusPath } from '../batch/job-files.js';
import { expandPathTemplate } from '../batch/quote.js';
import { opensDefaultOutputs } from '../batch/script-parse-back.js';
import { retry } from '../batch/retry.js';
import type { SlurmContext } from './context.js';
import { newAdoptedJob, Phase, type SlurmJob } from './job.js';
import { isOurScriptPath, ownJobOf, parseScontrolJobFiles, ScriptCache } from './script-parse-back.js';

const NATIVE_ID = /^\d+(?:_\d+)?$/;
/** Retries of the recovery listing before giving up (about a minute and a half). */
const LISTING_ATTEMPTS = 22;

/** Takes over stored jobs and follows adopted ones. */
export class SlurmRecovery {
  readonly #ctx: SlurmContext;
  readonly #submit: (jobs: readonly JobHandle[]) => void;
  readonly #toRecover: JobHandle[] = [];

  /** @param submit - Submits jobs Slurm has never seen (the backend's `submit`). */
  constructor(ctx: SlurmContext, submit: (jobs: readonly JobHandle[]) => void) {
    this.#ctx = ctx;
    this.#submit = submit;
  }

  /**
   * Takes over a job restored from a store whose owner died. With a native id it is adopted.
   * Without one, its owner may have died while sbatch ran: one `squeue -r` for all such jobs finds
   * any Slurm job running one of our scripts for it (arrays: through the script's index table), and
   * adopts it; only a job Slurm has never seen is submitted again, so nothing runs twice.
   */
  recover(job: JobHandle, info: RecoverInfo): void {
    if (info.nativeId !== undefined) {
      this.adopt(job, info.nativeId);
      return;
    }
    this.#toRecover.push(job);
    if (this.#toRecover.length === 1) queueMicrotask(() => this.#ctx.work.track(this.#recoverUnnamed()));
  }

  /**
   * Follows a job submitted elsewhere (`123` or `123_4`) to its end; without a status file its
   * wait status is Slurm's `exit_code`. An id that is not a Slurm job id raises `lost`.
   */
  adopt(job: JobHandle, nativeId: string): void {
    const ctx = this.#ctx;
    const host = ctx.host;
    const j = newAdoptedJob(job, host.jobid(job).f58, nativeId);
    ctx.jobs.set(job, j);
    if (!NATIVE_ID.test(nativeId)) {
      j.phase = Phase.DONE;
      host.exception(job, 'lost', 0, `'${nativeId}' is not a Slurm job id (expected 123 or 123_4)`);
      host.abandoned(job);
      return;
    }
    host.setNativeId(job, nativeId);
    ctx.work.track(this.#fetchAdoptedPaths(j));
  }

  async #recoverUnnamed(): Promise<void> {
    const ctx = this.#ctx;
    const host = ctx.host;
    const jobs = this.#toRecover.splice(0);
    let listing: string;
    try {
      // Resubmitting blind could run a job twice: wait for the controller instead.
      const run = () => ctx.commands.run('squeue', ['--me', '-r', '-t', 'all', '-h', '-o', '%i|%o']);
      listing = (await retry(run, (_error, attempt) => !ctx.closed && attempt < LISTING_ATTEMPTS - 1)).stdout;
    } catch (error) {
      if (ctx.closed) return;
      throw error;
    }
    const wanted = new Set(jobs.map((job) => host.jobid(job).f58));
    const found = new Map<string, string>();
    const scripts = new ScriptCache();
    for (const line of listing.split('\n')) {
      const bar = line.indexOf('|');
      if (bar < 0) continue;
      const nativeId = line.slice(0, bar).trim();
      const command = line.slice(bar + 1).trim();
      if (!isOurScriptPath(command, ctx.logDir)) continue;
      const script = await scripts.read(command);
      const own = script === undefined ? undefined : ownJobOf(script, nativeId);
      if (own && wanted.has(own.f58)) found.set(own.f58, nativeId);
    }
    const again: JobHandle[] = [];
    for (const job of jobs) {
      const nativeId = found.get(host.jobid(job).f58);
      if (nativeId !== undefined) this.adopt(job, nativeId);
      else again.push(job);
    }
    if (again.length > 0) this.#submit(again);
  }

  /**
   * Adopted jobs: their output paths from `scontrol show job`, and, for a job that a jobfutures
   * Slurm backend submitted (its `Command` is one of our `<logDir>/<f58>.sbatch` scripts), the
   * status file its script writes: a restarted program gets exact results back.
   */
  async #fetchAdoptedPaths(j: SlurmJob): Promise<void> {
    try {
      const { stdout } = await this.#ctx.commands.run('scontrol', ['show', 'job', '-o', j.nativeId!]);
      const files = parseScontrolJobFiles(stdout);
      if (files.stdout) j.paths = { stdout: files.stdout, stderr: files.stderr || files.stdout };
      const own = files.script === undefined ? undefined : ownJobOf(await readFile(files.script, 'utf8'), j.nativeId!);
      if (own) {
        j.ownStatus = statusPath(own.logDir, own.f58);
        // Array tasks open their files in the script or its task file (Slurm's are /dev/null): the default ones.
        const defaults = own.taskFile === undefined ? own.defaultOutputs : opensDefaultOutputs(await readFile(own.taskFile, 'utf8').catch(() => ''), own.logDir);
        if (j.paths?.stdout === '/dev/null' && defaults) {
          const t = defaultOutputTemplates(own.logDir);
          j.paths = { stdout: expandPathTemplate(t.stdout, own.f58, ''), stderr: expandPathTemplate(t.stderr, own.f58, '') };
        }
      }
    } catch {
      // Unknown or purged job, or not one of ours: the poll reports it from Slurm's exit code.
    }
  }
}
