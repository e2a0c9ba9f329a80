/**
 * What the Flux backend knows of one of its jobs, and how Flux's eventlog entries map onto the
 * engine's {@link BackendHost} calls, one to one, with Flux's own timestamps and contexts:
 *
 * | Flux event | host call |
 * |---|---|
 * | `submit`, `validate`, `depend`, `priority`, `urgency` | `queued(job, name, t, context)` (the backend `reportsQueueEvents`) |
 * | `alloc` | `alloc(job, context, t)` |
 * | `start` | `started(job, t)` |
 * | `exception` | `exception(job, type, severity, note, t)` (the echo of one the engine raised itself is skipped) |
 * | `finish`, `release`, `free`, `clean` | `finished(job, status, tFinish, {release, free, clean})` at `clean` |
 * | `release`, `free`, `clean` without `finish` | `abandoned(job, tClean, {release, free})` |
 *
 * Other entries (`dependency-add`, `annotations`, `memo`...) are not job events. Exceptions the
 * engine raised itself (cancel) are its own, at the time it raised them.
 *
 * @module
 */
import type { BackendHost, JobHandle } from '../../core/backend.js';
import type { EventlogEntry } from './wire/index.js';

/** Where a job is on its way into Flux. */
export const enum Phase {
  /** Not sent yet: waiting for the connection or for its dependencies' Flux ids. */
  READY,
  /** `job-ingest.submit` sent, no answer yet. */
  SENDING,
  /** Sent, but the answer was lost with the connection (or the owner died): found by its tag, or sent again. */
  UNKNOWN,
  /** Flux has it under {@link FluxJob.id}. */
  IN_FLUX,
}

/** One job of the backend. */
export class FluxJob {
  phase: Phase = Phase.READY;
  /** Flux's id. */
  id: bigint | undefined;
  started = false;
  /** The job shell has launched the tasks (`shell.start` seen): a signal reaches them. */
  tasksLaunched = false;
  finish: { status: number; t: number } | undefined;
  release: number | undefined;
  free: number | undefined;
  /** Its eventlog is being followed with an eventlog watch (adopt, take-over, missed while disconnected). */
  watching = false;
  /** Types of fatal exceptions the engine raised and this backend passed to Flux: their echo is skipped once. */
  readonly echoes: string[] = [];
  /** A cancel to pass on once the job has a Flux id (or the connection is back). */
  pendingCancel = false;
  /** An urgency to pass on once the job has a Flux id. */
  pendingUrgency: number | undefined;
  /** The session epoch whose backlog (or eventlog read) last brought this job up to date. */
  epoch = -1;
  #lastT = 0;
  #lastNames: string[] = [];

  /** The job is running in Flux (started, not finished): a signal can reach it. */
  get running(): boolean {
    return this.started && this.finish === undefined;
  }

  /**
   * Applies one entry of the job's eventlog; entries already applied (a backlog or a past
   * eventlog overlapping the live journal) are skipped. Returns true once the job is inactive.
   */
  apply(host: BackendHost, job: JobHandle, e: EventlogEntry): boolean {
    const { name, timestamp: t, context } = e;
    if (!MAPPED.has(name)) return false;
    if (t < this.#lastT || (t === this.#lastT && this.#lastNames.includes(name))) return false;
    if (t > this.#lastT) {
      this.#lastT = t;
      this.#lastNames = [name];
    } else this.#lastNames.push(name);
    switch (name) {
      case 'submit':
      case 'priority':
      case 'urgency':
        host.queued?.(job, name, t, context as Record<string, unknown>);
        return false;
      case 'validate':
      case 'depend':
        host.queued?.(job, name, t);
        return false;
      case 'alloc':
        host.alloc(job, context as Record<string, unknown>, t);
        return false;
      case 'start':
        this.started = true;
        host.started(job, t);
        return false;
      case 'exception': {
        const type = typeof context.type === 'string' ? context.type : 'unknown';
        const severity = typeof context.severity === 'number' ? context.severity : 0;
        const note = typeof context.note === 'string' ? context.note : '';
        if (severity === 0) {
          const echo = this.echoes.indexOf(type);
          if (echo >= 0) {
            this.echoes.splice(echo, 1);
            return false;
          }
        }
        host.exception(job, type, severity, note, t);
        return false;
      }
      case 'finish':
        this.finish = { status: typeof context.status === 'number' ? context.status : 0, t };
        return false;
      case 'release':
        if (context.final !== false) this.release = t;
        return false;
      case 'free':
        this.free = t;
        return false;
      default: {
        // clean
        const ends = { ...(this.release !== undefined && { release: this.release }), ...(this.free !== undefined && { free: this.free }), clean: t };
        if (this.finish) host.finished(job, this.finish.status, this.finish.t, ends);
        else host.abandoned(job, t, ends);
        return true;
      }
    }
  }
}

const MAPPED = new Set(['submit', 'validate', 'depend', 'priority', 'urgency', 'alloc', 'start', 'exception', 'finish', 'release', 'free', 'clean']);
