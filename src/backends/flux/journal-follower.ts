/**
 * How the Flux backend follows its jobs: every job's events come on the session's one
 * `job-manager.events-journal` stream (mapped by {@link FluxJob.apply}); a job attached, taken
 * over, or that ended while the connection was down is brought up to date from its own eventlog
 * first; a submission whose answer was lost is found by the executor id it carries (the submit
 * event's jobspec, or one pass over every job Flux knows).
 *
 * @module
 */
import type { JobHandle } from '../../core/backend.js';
import type { FluxBackendParts } from './backend-parts.js';
import { FluxJob, Phase } from './flux-job.js';
import type { FluxSubmitter } from './flux-submitter.js';
import { fluxId, fluxNativeId } from './job-index.js';
import { taggedId } from './submission.js';
import { scanTags } from './tag-scan.js';
import { Errno, FluxConnectionError, FluxRpcError, watchEventlog, type FluxConnection, type JournalEntry } from './wire/index.js';

/** Follows the backend's jobs in Flux; see the module comment. */
export class JournalFollower {
  /** Jobs to bring up to date from their eventlog once connected (adopted, recovered, missed while disconnected). */
  readonly #catchUp = new Set<JobHandle>();
  #epoch = 0;
  #scanning = false;

  constructor(
    private readonly parts: FluxBackendParts,
    private readonly submitter: FluxSubmitter,
  ) {}

  /** Follows a job Flux has under `nativeId` (any RFC 19 form): its past eventlog, then the journal. */
  follow(job: JobHandle, nativeId: string): void {
    const rec = new FluxJob();
    rec.id = fluxId(nativeId);
    rec.phase = Phase.IN_FLUX;
    this.parts.jobs.add(job, rec);
    this.#catchUp.add(job);
    this.parts.referenced();
    const conn = this.parts.session.connection;
    if (conn) this.#readPast(conn, job, rec);
    else this.parts.session.start();
  }

  /** Follows a job whose owner died before Flux's answer was recorded: Flux may have it (found by its tag) or not. */
  recoverUnnamed(job: JobHandle): void {
    const rec = new FluxJob();
    rec.phase = Phase.UNKNOWN;
    this.parts.jobs.add(job, rec);
    this.parts.jobs.tag(job, this.parts.host.jobid(job).f58);
    this.parts.referenced();
    const conn = this.parts.session.connection;
    if (conn) this.#scanTags(conn);
    else this.parts.session.start();
  }

  /** The job is no longer followed. */
  forget(job: JobHandle): void {
    this.#catchUp.delete(job);
  }

  /**
   * Brings a job the journal's backlog did not show up to date: follows its eventlog with
   * `job-info.eventlog-watch`, past entries first, until its `clean` (journal entries for it are
   * ignored meanwhile). Used only for jobs attached while connected, taken over, or that ended
   * while the connection was down; the watch of an inactive job ends at once.
   */
  #readPast(conn: FluxConnection, job: JobHandle, rec: FluxJob): void {
    if (rec.watching) return;
    rec.watching = true;
    const { jobs, host } = this.parts;
    const stream = watchEventlog(conn, rec.id!, (e) => {
      if (jobs.get(job) === rec) this.#apply(job, rec, e);
    });
    stream.done.then(
      () => {
        rec.watching = false;
        this.#catchUp.delete(job);
      },
      (error: unknown) => {
        rec.watching = false;
        if (jobs.get(job) !== rec || error instanceof FluxConnectionError) return; // again after reconnecting
        this.#catchUp.delete(job);
        this.parts.forget(job);
        const why = error instanceof FluxRpcError && error.errnum === Errno.ENOENT ? 'Flux does not know it (the instance was restarted without its state?)' : (error as Error).message;
        host.exception(job, 'lost', 0, `flux job ${fluxNativeId(rec.id!)}: ${why}`);
        host.abandoned(job);
      },
    );
  }

  #apply(job: JobHandle, rec: FluxJob, e: JournalEntry['events'][number]): boolean {
    if (!rec.apply(this.parts.host, job, e)) return false;
    this.parts.forget(job);
    return true;
  }

  /** One journal response: new events of one Flux job (`backlog`: part of the backlog sent first). */
  entry(entry: JournalEntry, backlog: boolean): void {
    const jobs = this.parts.jobs;
    let followers = jobs.byId(entry.id);
    if (followers.length === 0 && entry.jobspec) {
      // A submission whose answer has not come (or was lost): its submit event names it.
      const tagged = jobs.byTag(taggedId(entry.jobspec));
      if (tagged === undefined) return;
      this.parts.claim(tagged, jobs.get(tagged)!, entry.id);
      followers = [tagged];
    }
    for (const job of followers) {
      const rec = jobs.get(job);
      if (rec) this.#deliver(job, rec, entry, backlog);
    }
  }

  #deliver(job: JobHandle, rec: FluxJob, entry: JournalEntry, backlog: boolean): void {
    if (backlog) rec.epoch = this.#epoch;
    if (rec.watching) return; // its eventlog watch delivers everything
    for (const e of entry.events) if (this.#apply(job, rec, e)) return;
  }

  /**
   * One pass over every job Flux knows (a `full` journal backlog, submit events only) to find the
   * jobs whose submission may or may not have reached Flux; those not found are sent again.
   */
  #scanTags(conn: FluxConnection): void {
    if (this.#scanning) return;
    this.#scanning = true;
    const jobs = this.parts.jobs;
    scanTags(
      conn,
      (tag, id) => {
        const job = jobs.byTag(tag);
        const rec = job === undefined ? undefined : jobs.get(job);
        if (job === undefined || !rec || rec.phase !== Phase.UNKNOWN) return;
        this.parts.claim(job, rec, id);
        this.#catchUp.add(job);
        this.#readPast(conn, job, rec);
      },
      (complete) => {
        this.#scanning = false;
        if (!complete) return; // the connection was lost: scanned again after reconnecting
        for (const [job, rec] of jobs.entries()) {
          if (rec.phase !== Phase.UNKNOWN) continue;
          rec.phase = Phase.READY;
          this.submitter.ready(job);
        }
      },
    );
  }

  /** A connection is up (again): submissions in flight on the lost one may or may not have reached Flux. */
  connected(reconnect: boolean): void {
    this.#epoch++;
    if (reconnect) {
      for (const [, rec] of this.parts.jobs.entries()) if (rec.phase === Phase.SENDING) rec.phase = Phase.UNKNOWN;
    }
  }

  /**
   * The journal's backlog is over: jobs it did not carry (they ended while the connection was
   * down) are read from their eventlogs, `pass` passes on what waited for the connection, and
   * submissions whose fate is unknown are looked for.
   */
  backlogEnd(conn: FluxConnection, pass: (job: JobHandle, rec: FluxJob) => void): void {
    const jobs = this.parts.jobs;
    const epoch = this.#epoch;
    for (const [job, rec] of jobs.entries()) {
      if (rec.phase !== Phase.IN_FLUX) continue;
      // Jobs that ended while the connection was down are not in the backlog: read their eventlogs.
      if (rec.epoch === epoch) this.#catchUp.delete(job); // the backlog carried its whole eventlog
      else this.#readPast(conn, job, rec);
      pass(job, rec);
    }
    if (jobs.some(Phase.UNKNOWN)) this.#scanTags(conn);
  }
}
