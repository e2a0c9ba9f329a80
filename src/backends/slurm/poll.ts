/**
 * {@link SlurmPoller}: one poll of the Slurm backend. Exactly one `squeue --me -t all` for all
 * active jobs (never `-j ids`, which fails as a whole when one id was purged); then, only for jobs
 * that ended or left the queue, their status files, and one `sacct` (when the cluster has
 * accounting) for those without one. A job missing without either is lost after `vanishGraceMs`.
 *
 * @module
 */
import type { JobHandle } from '../../core/backend.js';
import { startedMarker, startedPath, statusPath } from '../batch/job-files.js';
import { MissingGrace } from '../batch/missing-grace.js';
import { clearRunFiles, commandStarted, readStatusFile, type StatusFile } from '../batch/status-file.js';
import type { ClusterConfig, SlurmContext } from './context.js';
import { Phase, type SlurmJob } from './job.js';
import { SQUEUE_FORMAT, parseSacct, parseSqueue, squeueRowKeys, type SqueueRow } from './parse.js';
import { slurmState } from './state-map.js';
import { DEFAULT_VANISH_GRACE_MS } from '../batch/options.js';

/** Polls Slurm for the backend's jobs and reports what changed through the host. */
export class SlurmPoller {
  readonly #ctx: SlurmContext;
  readonly #grace: MissingGrace;

  constructor(ctx: SlurmContext) {
    this.#ctx = ctx;
    this.#grace = new MissingGrace(ctx.opts.vanishGraceMs ?? DEFAULT_VANISH_GRACE_MS);
  }

  /**
   * One `squeue` for all of `active`; then status files (and `sacct`, with accounting) for the
   * jobs that ended or left the queue. Resolves to whether any job changed.
   *
   * @throws {@link SchedulerCommandError} when squeue fails (e.g. the controller restarts); no job
   *   is changed then.
   */
  async poll(active: readonly JobHandle[]): Promise<boolean> {
    const ctx = this.#ctx;
    if (ctx.closed) return false;
    const host = ctx.host;
    const followed: SlurmJob[] = [];
    for (const h of active) {
      const j = ctx.jobs.get(h);
      if (j && j.phase === Phase.QUEUED && j.nativeId !== undefined) followed.push(j);
    }
    if (followed.length === 0) return false;
    const startedAt = Date.now();
    const { stdout } = await ctx.commands.run('squeue', ['--me', '-t', 'all', '-h', '-O', SQUEUE_FORMAT]);
    if (ctx.closed) return false;
    const rows = new Map<string, SqueueRow>();
    for (const row of parseSqueue(stdout).rows) for (const key of squeueRowKeys(row)) rows.set(key, row);

    let changed = false;
    const ended: { job: SlurmJob; row: SqueueRow }[] = [];
    const missing: SlurmJob[] = [];
    const requeued: SlurmJob[] = [];
    const starting: SlurmJob[] = [];
    for (const j of followed) {
      const row = rows.get(j.nativeId!);
      if (!row) {
        if (MissingGrace.absent(j, startedAt)) missing.push(j);
        continue;
      }
      MissingGrace.seen(j);
      const info = slurmState(row.state);
      if (info.phase === 'running') {
        if (!j.started) starting.push(j);
      } else if (info.phase === 'pending' || info.phase === 'requeued') {
        if (j.started) {
          j.started = false;
          requeued.push(j);
          host.requeued(j.handle);
          changed = true;
        }
      } else {
        ended.push({ job: j, row });
      }
    }
    // Running in Slurm's eyes: started once the command is (the reaper's marker file), so that a
    // command that cannot start never shows a start, as on the local backend.
    if (starting.length > 0) {
      const ok = await Promise.all(starting.map((j) => {
        const m = this.#startedMarker(j);
        return m === undefined ? true : commandStarted(m);
      }));
      starting.forEach((j, i) => {
        if (!ok[i] || j.phase !== Phase.QUEUED) return;
        j.started = true;
        host.started(j.handle);
        changed = true;
      });
    }
    // The previous run's files must not be taken for the next one's (which may fail to start).
    if (requeued.length > 0) await Promise.all(requeued.filter((j) => !j.adopted).map((j) => clearRunFiles(ctx.logDir, j.f58)));
    if (ended.length === 0 && missing.length === 0) return changed;

    const statuses = await Promise.all([...ended.map((e) => e.job), ...missing].map((j) => this.#readStatus(j)));
    ended.forEach(({ job, row }, i) => {
      if (job.phase !== Phase.QUEUED) return;
      this.#ended(job, row.state, row.reason, statuses[i], row.exitCode, row.nodeList !== '');
      changed = true;
    });
    const unresolved: SlurmJob[] = [];
    missing.forEach((job, k) => {
      if (job.phase !== Phase.QUEUED) return;
      const st = statuses[ended.length + k];
      if (st) {
        this.#ended(job, st.waitstatus === 0 ? 'COMPLETED' : 'FAILED', 'left the queue', st, undefined, true);
        changed = true;
      } else if (job.cancelSent && !job.started) {
        // A pending array task that scancel removed: it never ran (one that ran keeps a row).
        ctx.done(job);
        host.abandoned(job.handle);
        changed = true;
      } else unresolved.push(job);
    });
    if (unresolved.length > 0 && (await this.#vanished(unresolved))) changed = true;
    return changed;
  }

  /**
   * A job reached a final Slurm state (or left the queue with a status file): raise what Slurm
   * did to it, then report finished (it ran) or abandoned (it never did).
   */
  #ended(j: SlurmJob, state: string, reason: string, st: StatusFile | undefined, exitCode: number | undefined, gotNodes: boolean): void {
    const ctx = this.#ctx;
    const host = ctx.host;
    const info = slurmState(state);
    const ran = j.started || st !== undefined || gotNodes;
    const ws = st?.waitstatus ?? exitCode ?? 0;
    ctx.done(j);
    const id = j.nativeId!;
    // Ran between two polls: report the start we missed (not for a command that could not start).
    if (ran && !j.started && st?.execError === undefined) {
      j.started = true;
      host.started(j.handle);
    }
    switch (info.result) {
      case 'CANCELED':
        if (!j.cancelRequested) {
          if (/Dependency/i.test(reason)) host.exception(j.handle, 'dependency', 0, `Slurm job ${id}: dependency never satisfied`);
          else host.exception(j.handle, 'cancel', 0, `canceled by Slurm (job ${id} ${state}${reason && reason !== 'None' ? `, ${reason}` : ''})`);
        }
        break;
      case 'TIMEOUT':
        host.exception(j.handle, 'timeout', 0, `Slurm job ${id} reached its time limit (${state})`);
        break;
      default:
        if (st?.execError !== undefined) host.exception(j.handle, 'exec', 0, `cannot start job: ${st.execError}`);
        else if (info.result === 'FAILED' && ws === 0 && state !== 'FAILED') {
          host.exception(j.handle, state === 'NODE_FAIL' ? 'node-failure' : 'exec', 0, `Slurm job ${id} ended ${state}${reason && reason !== 'None' ? ` (${reason})` : ''}`);
        }
    }
    ctx.outcomes.set(j.handle, info.result === 'COMPLETED' && ws === 0 && !j.cancelRequested && st?.execError === undefined);
    if (ran) host.finished(j.handle, ws);
    else host.abandoned(j.handle);
  }

  /**
   * Jobs missing from squeue without a status file: ask accounting if there is one, else wait
   * `vanishGraceMs` (a status file may lag on a shared filesystem), then declare them lost.
   */
  async #vanished(jobs: SlurmJob[]): Promise<boolean> {
    const ctx = this.#ctx;
    const host = ctx.host;
    let changed = false;
    let config: ClusterConfig | undefined;
    try {
      config = await ctx.clusterConfig();
    } catch {
      config = undefined;
    }
    let acct = new Map<string, { state: string; waitstatus: number | undefined }>();
    if (config?.accounting) {
      try {
        const ids = jobs.map((j) => j.nativeId!).join(',');
        acct = parseSacct((await ctx.commands.run('sacct', ['-X', '-n', '-P', '-o', 'JobID,State,ExitCode', '-j', ids])).stdout);
      } catch {
        // Accounting lags or is down: the grace period covers it.
      }
    }
    const now = Date.now();
    for (const j of jobs) {
      if (j.phase !== Phase.QUEUED) continue;
      const rec = acct.get(j.nativeId!);
      if (rec && slurmState(rec.state).phase === 'final') {
        this.#ended(j, rec.state, '', undefined, rec.waitstatus, j.started);
        changed = true;
        continue;
      }
      if (!this.#grace.expired(j, now)) continue;
      ctx.done(j);
      if (!j.cancelRequested) host.exception(j.handle, 'lost', 0, `Slurm job ${j.nativeId} left the queue without a status file`);
      host.abandoned(j.handle);
      changed = true;
    }
    return changed;
  }

  /** The job's status file: its own, or for an adopted job the one its script writes, if known. */
  #statusFile(j: SlurmJob): string | undefined {
    return j.adopted ? j.ownStatus : statusPath(this.#ctx.logDir, j.f58);
  }

  #startedMarker(j: SlurmJob): string | undefined {
    if (!j.adopted) return startedPath(this.#ctx.logDir, j.f58);
    return j.ownStatus === undefined ? undefined : startedMarker(j.ownStatus);
  }

  async #readStatus(j: SlurmJob): Promise<StatusFile | undefined> {
    const file = this.#statusFile(j);
    return file === undefined ? undefined : readStatusFile(file);
  }
}
