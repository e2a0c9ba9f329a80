/**
 * The Flux backend's jobs and how they are found: by the engine's handle, by Flux's id (a Flux
 * job attached more than once has several followers), and, while Flux's answer to its submission
 * is not in, by the executor id the submitted jobspec carries (`attributes.user.jobfutures.id`).
 *
 * @module
 */
import type { JobHandle } from '../../core/backend.js';
import { JobID } from '../../ids/index.js';
import { FluxJob, Phase } from './flux-job.js';

/** The backend's jobs, indexed; see the module comment. */
export class FluxJobIndex {
  readonly #jobs = new Map<JobHandle, FluxJob>();
  /** The first follower of each Flux id, and the others. */
  readonly #byId = new Map<bigint, JobHandle>();
  readonly #alsoById = new Map<bigint, JobHandle[]>();
  readonly #byTag = new Map<string, JobHandle>();

  /** Number of jobs followed. */
  get size(): number {
    return this.#jobs.size;
  }

  /** Every job and its record. */
  entries(): IterableIterator<[JobHandle, FluxJob]> {
    return this.#jobs.entries();
  }

  /** Whether any job is in this phase. */
  some(phase: Phase): boolean {
    for (const rec of this.#jobs.values()) if (rec.phase === phase) return true;
    return false;
  }

  /** The record of a job, if it is followed. */
  get(job: JobHandle): FluxJob | undefined {
    return this.#jobs.get(job);
  }

  /** Whether the job is followed. */
  has(job: JobHandle): boolean {
    return this.#jobs.has(job);
  }

  /** Follows a job; a record that already has a Flux id is found by it at once. */
  add(job: JobHandle, rec: FluxJob): void {
    this.#jobs.set(job, rec);
    if (rec.id !== undefined) this.#index(job, rec.id);
  }

  /** The followers of a Flux job (usually one). */
  byId(id: bigint): JobHandle[] {
    const first = this.#byId.get(id);
    if (first === undefined) return [];
    const also = this.#alsoById.get(id);
    return also ? [first, ...also] : [first];
  }

  /** Makes the job findable by the executor id it carries until Flux names it. */
  tag(job: JobHandle, f58: string): void {
    this.#byTag.set(f58, job);
  }

  /** The job tagged with this executor id, if its record has no Flux id yet. */
  byTag(tag: string | undefined): JobHandle | undefined {
    if (tag === undefined) return undefined;
    const job = this.#byTag.get(tag);
    return job !== undefined && this.#jobs.get(job)?.id === undefined ? job : undefined;
  }

  /** Flux named the job `id`: it is found by it from now on, no longer by its tag. */
  named(job: JobHandle, rec: FluxJob, id: bigint, f58: string): void {
    rec.id = id;
    rec.phase = Phase.IN_FLUX;
    this.#byTag.delete(f58);
    this.#index(job, id);
  }

  /** Stops following a job (`f58`: its executor id, for its tag). */
  remove(job: JobHandle, f58: string): FluxJob | undefined {
    const rec = this.#jobs.get(job);
    if (!rec) return undefined;
    this.#jobs.delete(job);
    if (this.#byTag.get(f58) === job) this.#byTag.delete(f58);
    if (rec.id !== undefined) {
      const also = this.#alsoById.get(rec.id);
      if (this.#byId.get(rec.id) === job) {
        const next = also?.shift();
        if (next !== undefined) this.#byId.set(rec.id, next);
        else this.#byId.delete(rec.id);
        if (also?.length === 0) this.#alsoById.delete(rec.id);
      } else if (also) {
        const rest = also.filter((j) => j !== job);
        if (rest.length > 0) this.#alsoById.set(rec.id, rest);
        else this.#alsoById.delete(rec.id);
      }
    }
    return rec;
  }

  #index(job: JobHandle, id: bigint): void {
    if (!this.#byId.has(id)) this.#byId.set(id, job);
    else this.#alsoById.set(id, [...(this.#alsoById.get(id) ?? []), job]);
  }
}

/** Flux's id from a native id in any RFC 19 form (`ƒ…` F58, decimal, hex, ...). */
export function fluxId(nativeId: string): bigint {
  return BigInt(JobID.parse(nativeId).dec);
}

/** The native id recorded for a Flux job: its F58 form, as Flux prints it. */
export function fluxNativeId(id: bigint): string {
  return JobID.parse(id.toString()).f58;
}
