/**
 * {@link SgePoller}: one poll of the Grid Engine backend. Exactly one `qstat -xml` for all active
 * jobs; then, only for jobs that left the queue, their status files, and one accounting read for
 * those without one. A job missing without either is lost after `vanishGraceMs`. Jobs in Grid
 * Engine's error state (`Eqw`: they would never run, and `-hold_jid` dependants would wait for
 * ever) are deleted, with the reason `qstat -j` gives.
 *
 * @module
 */
import type { JobHandle } from '../../core/backend.js';
import { startedMarker } from '../batch/job-files.js';
import { MissingGrace } from '../batch/missing-grace.js';
import { clearRunFiles, commandStarted, readStatusFile, type StatusFile } from '../batch/status-file.js';
import type { SgeContext } from './context.js';
import type { QdelBatch } from './control.js';
import { jobNumber, Phase, type SgeJob } from './job.js';
import { parseQstatJobXml, parseQstatXml, qstatRowKeys, type AccountingRecord, type QstatRow } from './parse.js';
import { accountingOutcome, sgeState } from './state-map.js';
import { DEFAULT_VANISH_GRACE_MS } from '../batch/options.js';

/** Polls Grid Engine for the backend's jobs and reports what changed through the host. */
export class SgePoller {
  readonly #ctx: SgeContext;
  readonly #grace: MissingGrace;
  readonly #qdel: QdelBatch;

  constructor(ctx: SgeContext, qdel: QdelBatch) {
    this.#ctx = ctx;
    this.#grace = new MissingGrace(ctx.opts.vanishGraceMs ?? DEFAULT_VANISH_GRACE_MS);
    this.#qdel = qdel;
  }

  /**
   * One `qstat -xml` for all of `active`; then status files (and accounting) for the jobs that
   * left the queue. Resolves to whether any job changed.
   *
   * @throws {@link SchedulerCommandError} when qstat fails (e.g. qmaster restarts); no job is
   *   changed then.
   */
  async poll(active: readonly JobHandle[]): Promise<boolean> {
    const ctx = this.#ctx;
    if (ctx.closed) return false;
    const host = ctx.host;
    const followed: SgeJob[] = [];
    for (const h of active) {
      const j = ctx.jobs.get(h);
      if (j && j.phase === Phase.QUEUED && j.nativeId !== undefined) followed.push(j);
    }
    if (followed.length === 0) return false;
    const listedAt = Date.now();
    const { stdout } = await ctx.commands.run('qstat', ['-xml']);
    if (ctx.closed) return false;
    const rows = new Map<string, QstatRow>();
    for (const row of parseQstatXml(stdout).rows) for (const key of qstatRowKeys(row)) rows.set(key, row);

    let changed = false;
    const missing: SgeJob[] = [];
    const requeued: SgeJob[] = [];
    const starting: SgeJob[] = [];
    const failed: SgeJob[] = [];
    for (const j of followed) {
      const row = rows.get(j.nativeId!);
      const info = row && sgeState(row.state);
      if (!info || info.phase === 'final') {
        if (MissingGrace.absent(j, listedAt)) missing.push(j);
        continue;
      }
      MissingGrace.seen(j);
      if (info.phase === 'running') {
        if (!j.started) starting.push(j);
      } else if (info.phase === 'requeued' || info.phase === 'pending' || info.phase === 'held') {
        if (j.started) {
          j.started = false;
          requeued.push(j);
          host.requeued(j.handle);
          changed = true;
        }
      } else if (info.phase === 'error') {
        failed.push(j);
      }
      // 'deleting': being killed; the job leaves the queue soon.
    }
    // Running in Grid Engine's eyes: started once the command is (the reaper's marker file), so
    // that a command that cannot start never shows a start, as on the local backend.
    if (starting.length > 0) {
      const ok = await Promise.all(starting.map((j) => this.#markerExists(j)));
      starting.forEach((j, i) => {
        if (ok[i] === false || j.phase !== Phase.QUEUED) return;
        j.started = true;
        host.started(j.handle);
        changed = true;
      });
    }
    if (requeued.length > 0) await Promise.all(requeued.filter((j) => !j.adopted).map((j) => clearRunFiles(ctx.logDir, j.f58)));
    if (failed.length > 0 && (await this.#errorState(failed))) changed = true;
    if (missing.length === 0) return changed;

    const statuses = await Promise.all(missing.map((j) => this.#readStatus(j)));
    const unresolved: SgeJob[] = [];
    missing.forEach((j, k) => {
      if (j.phase !== Phase.QUEUED) return;
      const st = statuses[k];
      if (st) {
        this.#ended(j, st, undefined);
        changed = true;
      } else unresolved.push(j);
    });
    if (unresolved.length > 0 && (await this.#vanished(unresolved))) changed = true;
    return changed;
  }

  /**
   * A job left the queue: report what its status file (else its accounting record) says, then
   * finished (it ran) or abandoned (it never did).
   */
  #ended(j: SgeJob, st: StatusFile | undefined, rec: AccountingRecord | undefined): void {
    const ctx = this.#ctx;
    const host = ctx.host;
    const outcome = rec && accountingOutcome(rec);
    const ran = j.started || st !== undefined || (rec !== undefined && rec.startTime > 0);
    const ws = st?.waitstatus ?? outcome?.waitstatus ?? 0;
    ctx.done(j);
    const id = j.nativeId!;
    // Ran between two polls: report the start we missed (not for a command that could not start).
    if (ran && !j.started && st?.execError === undefined) {
      j.started = true;
      host.started(j.handle);
    }
    if (st?.execError !== undefined) host.exception(j.handle, 'exec', 0, `cannot start job: ${st.execError}`);
    else if (st === undefined && outcome !== undefined && !j.cancelRequested) {
      if (outcome.result === 'TIMEOUT') host.exception(j.handle, 'timeout', 0, `Grid Engine job ${id} reached its time limit (h_rt)`);
      else if (outcome.waitstatus === undefined) host.exception(j.handle, 'exec', 0, `Grid Engine job ${id}: ${outcome.reason ?? 'failed'}`);
    }
    ctx.outcomes.set(j.handle, ws === 0 && st?.execError === undefined && !j.cancelRequested && (st !== undefined || outcome?.result === 'COMPLETED'));
    if (ran) host.finished(j.handle, ws);
    else host.abandoned(j.handle);
  }

  /**
   * Jobs missing from qstat without a status file: their accounting records (one read for all),
   * else wait `vanishGraceMs` (a status file may lag on a shared filesystem, accounting lags
   * qstat), then declare them lost. A canceled job that never started is abandoned at once.
   */
  async #vanished(jobs: SgeJob[]): Promise<boolean> {
    const ctx = this.#ctx;
    const host = ctx.host;
    let changed = false;
    const pendingCancel = await Promise.all(jobs.map(async (j) => j.cancelRequested && !j.started && !(await this.#markerExists(j))));
    const ask = jobs.filter((_, i) => !pendingCancel[i]);
    const acct = await ctx.accounting.records(ask.map((j) => j.nativeId!));
    const now = Date.now();
    jobs.forEach((j, i) => {
      if (j.phase !== Phase.QUEUED) return;
      if (pendingCancel[i]) {
        // qdel of a pending job: it leaves without a trace.
        ctx.done(j);
        host.abandoned(j.handle);
        changed = true;
        return;
      }
      const rec = acct.get(j.nativeId!);
      if (rec) {
        this.#ended(j, undefined, rec);
        changed = true;
        return;
      }
      if (!this.#grace.expired(j, now)) return;
      ctx.done(j);
      if (!j.cancelRequested) host.exception(j.handle, 'lost', 0, `Grid Engine job ${j.nativeId} left the queue without a status file or accounting record`);
      if (j.started) host.finished(j.handle, 9);
      else host.abandoned(j.handle);
      changed = true;
    });
    return changed;
  }

  /**
   * Jobs in Grid Engine's error state: raise `exec` with the reason `qstat -j` gives (one call
   * for all), delete them (one qdel), and let them go as never started.
   */
  async #errorState(jobs: SgeJob[]): Promise<boolean> {
    const ctx = this.#ctx;
    const host = ctx.host;
    const reasons = new Map<string, string>();
    try {
      const numbers = [...new Set(jobs.map((j) => jobNumber(j.nativeId!)))];
      const { stdout } = await ctx.commands.run('qstat', ['-j', numbers.join(','), '-xml']);
      for (const d of parseQstatJobXml(stdout).jobs) {
        for (const m of d.messages) reasons.set(`${d.jobId}.${m.taskId}`, m.message);
        const first = d.messages[0];
        if (first) reasons.set(d.jobId, first.message);
      }
    } catch {
      // The reason is a nicety: the job is ended anyway.
    }
    let changed = false;
    for (const j of jobs) {
      if (j.phase !== Phase.QUEUED) continue;
      const id = j.nativeId!;
      this.#qdel.add(id);
      ctx.done(j);
      if (!j.cancelRequested) host.exception(j.handle, 'exec', 0, `Grid Engine job ${id} is in error state (deleted): ${reasons.get(id) ?? reasons.get(jobNumber(id)) ?? 'no reason given'}`);
      if (j.started) host.finished(j.handle, 1 << 8);
      else host.abandoned(j.handle);
      changed = true;
    }
    return changed;
  }

  async #markerExists(j: SgeJob): Promise<boolean> {
    const status = this.#ctx.statusFile(j);
    // Adopted jobs not ours: Grid Engine's "running" is all there is.
    return status === undefined ? true : commandStarted(startedMarker(status));
  }

  async #readStatus(j: SgeJob): Promise<StatusFile | undefined> {
    const file = this.#ctx.statusFile(j);
    return file === undefined ? undefined : readStatusFile(file);
  }
}
