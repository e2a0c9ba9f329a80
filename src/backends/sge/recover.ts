/**
 * {@link SgeRecovery}: the Grid Engine backend's take-over of jobs restored from a store whose
 * owner died, and `adopt` of jobs submitted elsewhere.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import type { JobHandle, RecoverInfo } from '../../core/backend.js';
import { startedMarker, statusPath, trimSlash } from '../batch/job-files.js';
import { retry } from '../batch/retry.js';
import { parseOwnScript } from '../batch/script-parse-back.js';
import { readStatusFile, commandStarted } from '../batch/status-file.js';
import { SGE_SCRIPT_SUFFIX, type SgeContext } from './context.js';
import { jobNumber, newAdoptedJob, Phase } from './job.js';
import { parseQstatXml, qstatRowKeys } from './parse.js';
import { childText, findAll, parseXml } from './xml.js';

const NATIVE_ID = /^\d+(?:\.\d+)?$/;
/** Retries of the recovery listing before giving up (about a minute and a half). */
const LISTING_ATTEMPTS = 22;

/** The script file of each job in `qstat -j IDS -xml` output (`JB_script_file`), by job number. */
export function parseQstatScriptFiles(xml: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const info of findAll(parseXml(xml), 'djob_info')) {
    for (const el of info.children) {
      const id = childText(el, 'JB_job_number');
      const file = childText(el, 'JB_script_file');
      if (id !== undefined && /^\d+$/.test(id) && file) out.set(id, file);
    }
  }
  return out;
}

/** Takes over stored jobs and follows adopted ones. */
export class SgeRecovery {
  readonly #ctx: SgeContext;
  readonly #submit: (jobs: readonly JobHandle[]) => void;
  readonly #toRecover: JobHandle[] = [];

  /** @param submit - Submits jobs Grid Engine has never seen (the backend's `submit`). */
  constructor(ctx: SgeContext, submit: (jobs: readonly JobHandle[]) => void) {
    this.#ctx = ctx;
    this.#submit = submit;
  }

  /**
   * Takes over a job restored from a store whose owner died. With a native id it is adopted
   * (its status file is the one our script writes in this log folder). Without one, its owner
   * may have died while qsub ran: one `qstat -xml` and one `qstat -j IDS -xml` for all such jobs
   * find any Grid Engine job running one of our scripts for it (arrays: through the script's
   * index table), which is adopted; a job that already ran leaves a status file, which tells its
   * result; only a job Grid Engine has never seen is submitted again, so nothing runs twice.
   */
  recover(job: JobHandle, info: RecoverInfo): void {
    if (info.nativeId !== undefined) {
      this.#follow(job, info.nativeId, statusPath(this.#ctx.logDir, this.#ctx.host.jobid(job).f58));
      return;
    }
    this.#toRecover.push(job);
    if (this.#toRecover.length === 1) queueMicrotask(() => this.#ctx.work.track(this.#recoverUnnamed()));
  }

  /**
   * Follows a job submitted elsewhere (`123` or `123.4`) to its end; without a status file its
   * wait status comes from accounting. An id that is not a Grid Engine job id raises `lost`.
   */
  adopt(job: JobHandle, nativeId: string): void {
    this.#follow(job, nativeId, undefined);
  }

  #follow(job: JobHandle, nativeId: string, ownStatus: string | undefined): void {
    const ctx = this.#ctx;
    const host = ctx.host;
    const j = newAdoptedJob(job, host.jobid(job).f58, nativeId, ownStatus);
    ctx.jobs.set(job, j);
    if (!NATIVE_ID.test(nativeId)) {
      j.phase = Phase.DONE;
      host.exception(job, 'lost', 0, `'${nativeId}' is not a Grid Engine job id (expected 123 or 123.4)`);
      host.abandoned(job);
      return;
    }
    ctx.accounting.watch(nativeId);
    host.setNativeId(job, nativeId);
    if (ownStatus === undefined) ctx.work.track(this.#findOwnStatus(j));
  }

  /** Adopted jobs that a jobfutures backend submitted (their script is one of ours): their status file. */
  async #findOwnStatus(j: ReturnType<typeof newAdoptedJob>): Promise<void> {
    try {
      const number = jobNumber(j.nativeId!);
      const { stdout } = await this.#ctx.commands.run('qstat', ['-j', number, '-xml']);
      const file = parseQstatScriptFiles(stdout).get(number);
      if (file === undefined || !file.endsWith(SGE_SCRIPT_SUFFIX)) return;
      const task = j.nativeId!.includes('.') ? j.nativeId!.split('.')[1] : undefined;
      const own = parseOwnScript(await readFile(file, 'utf8'), task);
      if (own && j.phase === Phase.QUEUED) j.ownStatus = statusPath(own.logDir, own.f58);
    } catch {
      // Unknown or finished job, or not one of ours: accounting tells how it ended.
    }
  }

  async #recoverUnnamed(): Promise<void> {
    const ctx = this.#ctx;
    const host = ctx.host;
    const jobs = this.#toRecover.splice(0);
    const found = new Map<string, string>();
    try {
      // Resubmitting blind could run a job twice: wait for qmaster instead.
      const attempt = <T>(fn: () => Promise<T>) => retry(fn, (_error, n) => !ctx.closed && n < LISTING_ATTEMPTS - 1);
      const rows = parseQstatXml((await attempt(() => ctx.commands.run('qstat', ['-xml']))).stdout).rows;
      const numbers = [...new Set(rows.map((r) => r.jobId))];
      if (numbers.length > 0) {
        const scripts = parseQstatScriptFiles((await attempt(() => ctx.commands.run('qstat', ['-j', numbers.join(','), '-xml']))).stdout);
        const texts = new Map<string, string | undefined>();
        const prefix = `${trimSlash(ctx.logDir)}/`;
        for (const row of rows) {
          const file = scripts.get(row.jobId);
          if (file === undefined || !file.startsWith(prefix) || !file.endsWith(SGE_SCRIPT_SUFFIX)) continue;
          if (!texts.has(file)) texts.set(file, await readFile(file, 'utf8').catch(() => undefined));
          const text = texts.get(file);
          if (text === undefined) continue;
          for (const key of qstatRowKeys(row)) {
            const own = parseOwnScript(text, key.includes('.') ? key.split('.')[1] : undefined);
            if (own && (key.includes('.') || row.taskIds.length === 0)) found.set(own.f58, key);
          }
        }
      }
    } catch (error) {
      if (ctx.closed) return;
      throw error;
    }
    const again: JobHandle[] = [];
    for (const job of jobs) {
      const f58 = host.jobid(job).f58;
      const nativeId = found.get(f58);
      if (nativeId !== undefined) {
        this.#follow(job, nativeId, statusPath(ctx.logDir, f58));
        continue;
      }
      // Not in the queue: it ran already if it left a status file or a start marker.
      const status = statusPath(ctx.logDir, f58);
      const st = await readStatusFile(status);
      if (st) {
        ctx.outcomes.set(job, st.waitstatus === 0 && st.execError === undefined);
        if (st.execError === undefined) host.started(job);
        else host.exception(job, 'exec', 0, `cannot start job: ${st.execError}`);
        host.finished(job, st.waitstatus);
      } else if (await commandStarted(startedMarker(status))) {
        ctx.outcomes.set(job, false);
        host.exception(job, 'lost', 0, 'the job started under a process that died, and left the queue without a status file');
        host.finished(job, 9);
      } else again.push(job);
    }
    if (again.length > 0) this.#submit(again);
  }
}
