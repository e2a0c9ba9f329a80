import type { DependencyKind } from '../core/types.js';
import { type JobRef, JobTable, R, S } from './job-table.js';

/** Told that the last dependency a job waited for was met (the job is still in DEPEND). */
export type DependenciesMetListener = (job: JobRef, t: number) => void;

/** Told that an `afterok` dependency `dep` of `job` ended otherwise than COMPLETED. */
export type DependencyFailedListener = (job: JobRef, dep: JobRef) => void;

/**
 * The dependencies between the jobs of one engine: what each job declared (`afterok`, `afterany`),
 * how many it still waits for, and who waits for whom, so that a job's end settles its dependents.
 *
 * Only jobs that have dependencies or dependents have entries (sparse maps): a fan-out of
 * independent jobs costs nothing here.
 */
export class DependencyGraph {
  /** The `afterok` dependencies each job declared. */
  private readonly afterokOf = new Map<JobRef, readonly JobRef[]>();
  /** The `afterany` dependencies each job declared. */
  private readonly afteranyOf = new Map<JobRef, readonly JobRef[]>();
  /** How many dependencies a waiting job still waits for. */
  private readonly unmet = new Map<JobRef, number>();
  /** Jobs waiting for a job to complete, by the job they wait for. */
  private readonly afterokDependents = new Map<JobRef, JobRef[]>();
  /** Jobs waiting for a job to end whatever its result, by the job they wait for. */
  private readonly afteranyDependents = new Map<JobRef, JobRef[]>();

  /**
   * @param table - The engine's job table (states and results of the dependencies).
   * @param onMet - Called when a waiting job's last dependency was met.
   * @param onFailed - Called when an `afterok` dependency of a waiting job ended otherwise.
   */
  constructor(
    private readonly table: JobTable,
    private readonly onMet: DependenciesMetListener,
    private readonly onFailed: DependencyFailedListener,
  ) {}

  /** Records the dependencies a job declared (before the job is journaled, which reads them). */
  declare(job: JobRef, afterok: readonly JobRef[] | undefined, afterany: readonly JobRef[] | undefined): void {
    if (afterok) this.afterokOf.set(job, afterok);
    if (afterany) this.afteranyOf.set(job, afterany);
  }

  /** The dependencies of one kind a job declared (empty if none). */
  declared(job: JobRef, kind: DependencyKind): readonly JobRef[] {
    return (kind === 'afterok' ? this.afterokOf : this.afteranyOf).get(job) ?? [];
  }

  /** The first `afterok` dependency that already ended otherwise than COMPLETED, or -1. */
  failedDependency(afterok: readonly JobRef[]): JobRef {
    const { state, result } = this.table;
    for (const dep of afterok) if (state[dep] === S.INACTIVE && result[dep] !== R.COMPLETED) return dep;
    return -1;
  }

  /**
   * Makes `job` wait for those of its dependencies that have not ended yet and returns how many
   * that is (0: nothing to wait for, the job goes on at once).
   */
  wait(job: JobRef, afterok: readonly JobRef[] | undefined, afterany: readonly JobRef[] | undefined): number {
    const state = this.table.state;
    let unmet = 0;
    if (afterok) {
      for (const dep of afterok) {
        if (state[dep] === S.INACTIVE) continue;
        unmet++;
        pushTo(this.afterokDependents, dep, job);
      }
    }
    if (afterany) {
      for (const dep of afterany) {
        if (state[dep] === S.INACTIVE) continue;
        unmet++;
        pushTo(this.afteranyDependents, dep, job);
      }
    }
    if (unmet > 0) this.unmet.set(job, unmet);
    return unmet;
  }

  /** The job stops waiting (it was canceled, or the backend went ahead with it). */
  stopWaiting(job: JobRef): void {
    this.unmet.delete(job);
  }

  /**
   * `job` ended (`completed` says whether it COMPLETED): each job still waiting for it counts one
   * dependency met, or fails if it needed `job` to complete.
   */
  ended(job: JobRef, completed: boolean, t: number): void {
    // Most jobs have no dependents: keep this cheap (and small enough to inline into the engine's clean-up).
    if (this.afterokDependents.size > 0 || this.afteranyDependents.size > 0) this.settleDependents(job, completed, t);
  }

  private settleDependents(job: JobRef, completed: boolean, t: number): void {
    const state = this.table.state;
    const waiting = this.afterokDependents.get(job);
    if (waiting) {
      this.afterokDependents.delete(job);
      for (const d of waiting) {
        if (state[d] !== S.DEPEND) continue;
        if (completed) this.met(d, t);
        else {
          this.unmet.delete(d);
          this.onFailed(d, job);
        }
      }
    }
    const waitingAny = this.afteranyDependents.get(job);
    if (waitingAny) {
      this.afteranyDependents.delete(job);
      for (const d of waitingAny) if (state[d] === S.DEPEND) this.met(d, t);
    }
  }

  private met(job: JobRef, t: number): void {
    const left = this.unmet.get(job)! - 1;
    if (left > 0) this.unmet.set(job, left);
    else {
      this.unmet.delete(job);
      this.onMet(job, t);
    }
  }
}

/** Whether a backend that resolves `native` dependency kinds itself resolves every dependency of a job. */
export function resolvesNatively(native: readonly DependencyKind[], afterok: readonly JobRef[] | undefined, afterany: readonly JobRef[] | undefined): boolean {
  return (!afterok?.length || native.includes('afterok')) && (!afterany?.length || native.includes('afterany'));
}

function pushTo(map: Map<JobRef, JobRef[]>, key: JobRef, value: JobRef): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
