/**
 * Taking over a store's jobs: claiming those whose owner died (or, for `jobf execute`, the queued
 * ones nobody owns) and restoring each into a reactor under its own id, with the finished jobs it
 * depends on.
 */
import type { JobID } from '../ids/index.js';
import { Jobspec } from '../jobspec/index.js';
import type { JobEvent } from '../core/types.js';
import { JobfuturesError } from '../util/errors.js';
import type { JobRef, Reactor } from '../reactor/reactor.js';
import { isOwnerAlive, sameOwner, type JobRecord, type JobStore, type Owner } from '../store/index.js';

/** What a take-over claimed. */
export interface RecoveryReport {
  /** Jobs taken over. */
  readonly claimed: number;
  /** Their ids. */
  readonly jobs: readonly JobID[];
  /**
   * Jobs found but left in the store, unowned and queued: they wait for a job that is still active
   * and that this process does not run (another process runs it, or it was not asked for).
   */
  readonly left: readonly JobID[];
}

/** A stored job is being run by another live process: attach to it from there, or wait for it. */
export class JobOwnedError extends JobfuturesError {
  constructor(jobid: string, owner: { pid: number; host: string }) {
    super('ERR_JOB_OWNED', `job ${jobid} is run by process ${owner.pid} on ${owner.host}; attach to it from there or wait until it ends`);
  }
}

/** Takes a store's jobs over into one reactor, as one owner. */
export class StoreTakeover {
  constructor(
    private readonly store: JobStore,
    private readonly reactor: Reactor,
    private readonly owner: Owner,
  ) {}

  /**
   * Claims the store's active jobs of this reactor's backend whose owner is dead (with `unowned`,
   * also queued jobs nobody owns, as `jobf submit` leaves them; with `only`, just those) and
   * restores each under its own id.
   */
  takeOver(unowned: boolean, only?: readonly JobID[]): RecoveryReport {
    const { store, reactor } = this;
    const claimed = store.claimOrphans(this.owner, isOwnerAlive, {
      backend: reactor.backend.name,
      includeUnowned: unowned,
      ...(only && only.length > 0 && { ids: only }),
    });
    // A job that waits for an active job which is neither ours nor claimed here cannot run here:
    // restoring that dependency would run it a second time. Such jobs go back to the queue.
    const runnable = new Map(claimed.map((r) => [r.jobid.value, r]));
    const left: JobID[] = [];
    for (let changed = true; changed; ) {
      changed = false;
      for (const record of runnable.values()) {
        if (record.tRun !== undefined || record.nativeId !== undefined) continue;
        const blocked = record.dependencies.some((d) => {
          if (runnable.has(d.jobid.value) || reactor.lookup(d.jobid) >= 0) return false;
          const dep = store.get(d.jobid);
          return dep !== undefined && dep.state !== 'INACTIVE';
        });
        if (blocked) {
          runnable.delete(record.jobid.value);
          store.setOwner(record.jobid, null);
          left.push(record.jobid);
          changed = true;
        }
      }
    }
    const jobs: JobID[] = [];
    for (const record of runnable.values()) {
      this.restore(record);
      jobs.push(record.jobid);
    }
    return { claimed: jobs.length, jobs, left };
  }

  /**
   * Claims one stored job for this owner (in one write transaction, so two processes never both
   * take it) and restores it. Undefined if the store does not have it.
   *
   * @throws {@link JobOwnedError} if another live process runs it.
   */
  claim(jobid: JobID): JobRef | undefined {
    const store = this.store;
    const found = store.get(jobid);
    const record =
      found === undefined || found.state === 'INACTIVE'
        ? found
        : store.transaction(() => {
            const rec = store.get(jobid);
            if (rec === undefined || rec.state === 'INACTIVE') return rec;
            if (rec.owner && !sameOwner(rec.owner, this.owner) && isOwnerAlive(rec.owner)) throw new JobOwnedError(rec.jobid.f58, rec.owner);
            store.setOwner(rec.jobid, this.owner);
            return rec;
          });
    return record && this.restore(record);
  }

  /** Restores one stored job (and, first, the finished jobs it depends on) into the reactor. */
  restore(record: JobRecord): JobRef {
    const { store, reactor } = this;
    const known = reactor.lookup(record.jobid);
    if (known >= 0) return known;
    for (const dep of record.dependencies) {
      if (reactor.lookup(dep.jobid) >= 0) continue;
      const depRecord = store.get(dep.jobid);
      if (depRecord) this.restore(depRecord);
    }
    const events = store.events(record.jobid, record.attemptSeq - 1).map(({ name, timestamp, context }) => ({ name, timestamp, ...(context && { context }) }) as JobEvent);
    const known2 = (ids: JobID[]) => ids.filter((id) => reactor.lookup(id) >= 0);
    return reactor.restore({
      jobid: record.jobid,
      spec: Jobspec.fromObject(record.spec),
      urgency: record.urgency,
      events,
      ...(record.nativeId !== undefined && { nativeId: record.nativeId }),
      dependsOn: known2(record.dependencies.filter((d) => d.kind === 'afterok').map((d) => d.jobid)),
      dependsOnAny: known2(record.dependencies.filter((d) => d.kind === 'afterany').map((d) => d.jobid)),
    });
  }
}
