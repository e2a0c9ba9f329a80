/**
 * The one way a job row is written: `jobf submit`, the executor's journal and every front-end
 * (the inbox watcher, scans) call {@link enqueue}.
 */
import { defaultJobName, submitContext, URGENCY } from '../core/lifecycle.js';
import type { JobID } from '../ids/index.js';
import type { Jobspec } from '../jobspec/index.js';
import type { JobStore, NewDependency, NewJob, Owner } from '../store/index.js';

/** One job to write. */
export interface EnqueueRequest {
  /** Its id. */
  readonly jobid: JobID;
  /** Its (validated) jobspec. */
  readonly spec: Jobspec;
  /** The backend that runs it. */
  readonly backend: string;
  /** Default 16. */
  readonly urgency?: number;
  /** The jobs it waits for (already in the store). */
  readonly dependencies?: readonly NewDependency[];
  /** The process that runs it; none for a job queued for a later process (`jobf execute`). */
  readonly owner?: Owner;
  /** Where its backend keeps its files. */
  readonly logDir?: string;
  /** The array it is a task of, and its index there. */
  readonly array?: { readonly id: JobID; readonly index: number };
  /**
   * Records its `submit` event at this time (float seconds). Leave it out when a reactor runs the
   * job and journals the event itself.
   */
  readonly submittedAt?: number;
}

/** The row {@link enqueue} writes for a request. */
export function jobRow(r: EnqueueRequest): NewJob {
  const urgency = r.urgency ?? URGENCY.DEFAULT;
  const { spec } = r;
  return {
    jobid: r.jobid,
    name: defaultJobName(spec),
    backend: r.backend,
    spec: spec.toJSON(),
    urgency,
    ...(r.dependencies && r.dependencies.length > 0 && { dependencies: r.dependencies }),
    ...(r.owner && { owner: r.owner }),
    ...(spec.cwd !== undefined && { cwd: spec.cwd }),
    ...(spec.stdout !== undefined && { stdout: spec.stdout }),
    ...(spec.stderr !== undefined && { stderr: spec.stderr }),
    ...(r.logDir !== undefined && { logDir: r.logDir }),
    ...(r.array && { arrayId: r.array.id, arrayIndex: r.array.index }),
    ...(r.submittedAt !== undefined && {
      submittedAt: r.submittedAt,
      events: [{ name: 'submit', timestamp: r.submittedAt, context: submitContext(urgency) }],
    }),
  };
}

/**
 * Writes jobs to the store in one transaction: all of them or, on any error (an unknown
 * dependency, a duplicate id), none.
 */
export function enqueue(store: JobStore, requests: readonly EnqueueRequest[]): void {
  store.insertJobs(requests.map(jobRow));
}
