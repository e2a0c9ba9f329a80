import { JobID } from '../ids/index.js';
import type { Jobspec } from '../jobspec/index.js';

/** A job inside one reactor: a small integer (its slot in the {@link JobTable}), cheaper than a JobID on hot paths. */
export type JobRef = number;

/** Job states as small integers, in RFC 21 order. */
export const enum S {
  NEW = 0,
  DEPEND = 1,
  PRIORITY = 2,
  SCHED = 3,
  RUN = 4,
  CLEANUP = 5,
  INACTIVE = 6,
}

/** Bits of {@link JobTable.flags}. */
export const enum F {
  /** `alloc` was emitted. */
  ALLOC = 1,
  /** `start` was emitted. */
  START = 2,
  /** `finish` was emitted. */
  FINISH = 4,
  /** A fatal (severity 0) exception was raised. */
  FATAL = 8,
  /** The job was handed to the backend. */
  HANDED = 16,
  /** Somebody watches this job's events (skip the watcher map otherwise). */
  WATCHED = 32,
  /** The id is not one of ours (adopted or recovered): look it up in the side map. */
  FOREIGN = 64,
  /** Waiting in the submit batch for the next flush to the backend. */
  BATCHED = 128,
  /** Has a watcher that wants to know when the job becomes inactive. */
  NOTIFY = 256,
  /** Has entries in the extras side map (exceptions, urgency changes). */
  EXTRAS = 512,
  /**
   * The backend reports this job's queueing events (`reportsQueueEvents`) and has not reported its
   * `submit` yet: no `submit`/`validate` was emitted, and T.SUBMIT holds the time of the submission here.
   */
  AWAIT_SUBMIT = 1024,
}

/** Results as small integers; 0 while the job is active. */
export const enum R {
  NONE = 0,
  COMPLETED = 1,
  FAILED = 2,
  CANCELED = 3,
  TIMEOUT = 4,
}

/** Indices into the per-job timestamp block (one float64 each). */
export const enum T {
  SUBMIT = 0,
  DEPEND = 1,
  PRIORITY = 2,
  ALLOC = 3,
  START = 4,
  FINISH = 5,
  CLEAN = 6,
}
/** Timestamps kept per job. */
export const T_COUNT = 7;

const INITIAL_CAPACITY = 1024;

/**
 * Every job of one engine, in struct-of-arrays form: a finished job costs a few typed-array slots
 * (about 90 bytes) instead of a graph of objects, which is what lets a million jobs fit in one process.
 *
 * Handles are dense indices assigned in submit order. Because the FLUID generator hands out strictly
 * increasing ids, `(idHi, idLo)` is sorted by handle and a JobID is found by binary search with no map.
 * Jobs that keep an id made elsewhere (restored from a store) are the exception, kept in side maps.
 */
export class JobTable {
  /** Number of handles in use. */
  size = 0;
  capacity = 0;
  idHi = new Float64Array(0);
  idLo = new Uint32Array(0);
  state = new Uint8Array(0);
  flags = new Uint16Array(0);
  urgency = new Uint8Array(0);
  result = new Uint8Array(0);
  /** Wait status of `finish`, -1 if none. */
  status = new Int32Array(0);
  /** {@link T_COUNT} timestamps per job, 0 when the event did not happen. */
  times = new Float64Array(0);
  /** Jobspec per job (shared objects for fan-outs). */
  specs: Jobspec[] = [];
  /** Backend ids; a holey array only when a backend sets them. */
  nativeIds: (string | undefined)[] = [];
  /** Ids of {@link F.FOREIGN} jobs, by handle and by value. */
  private readonly foreignIds = new Map<JobRef, JobID>();
  private readonly foreignByValue = new Map<bigint, JobRef>();

  constructor() {
    this.grow(INITIAL_CAPACITY);
  }

  /** Appends a job and returns its handle. */
  add(spec: Jobspec, urgency: number): number {
    if (this.size === this.capacity) this.grow(this.capacity * 2);
    const h = this.size++;
    this.urgency[h] = urgency;
    this.status[h] = -1;
    this.specs.push(spec);
    return h;
  }

  /** Makes room for `count` more jobs at once (one copy instead of repeated doubling). */
  reserve(count: number): void {
    const need = this.size + count;
    if (need > this.capacity) this.grow(Math.max(need, this.capacity * 2));
  }

  /** Appends a job that keeps an id made elsewhere and returns its handle. */
  addForeign(spec: Jobspec, urgency: number, jobid: JobID): number {
    const h = this.add(spec, urgency);
    // keep (idHi, idLo) sorted for the binary search: a foreign slot repeats its predecessor's key
    if (h > 0) {
      this.idHi[h] = this.idHi[h - 1]!;
      this.idLo[h] = this.idLo[h - 1]!;
    }
    this.flags[h]! |= F.FOREIGN;
    this.foreignIds.set(h, jobid);
    this.foreignByValue.set(jobid.value, h);
    return h;
  }

  /** The id of a job. */
  jobid(h: number): JobID {
    if (this.flags[h]! & F.FOREIGN) return this.foreignIds.get(h)!;
    return JobID.fromParts(this.idHi[h]!, this.idLo[h]!);
  }

  /** The handle of an id, or -1. */
  find(id: JobID): number {
    const value = id.value;
    const h = this.findOurs(Number(value >> 24n), Number(value & 0xffffffn));
    return h >= 0 ? h : (this.foreignByValue.get(value) ?? -1);
  }

  /** Finds the handle of an id of ours, or -1. */
  findOurs(hi: number, lo: number): number {
    const { idHi, idLo } = this;
    let a = 0;
    let b = this.size;
    while (a < b) {
      const m = (a + b) >>> 1;
      const mh = idHi[m]!;
      if (mh < hi || (mh === hi && idLo[m]! < lo)) a = m + 1;
      else b = m;
    }
    // Foreign handles copy their predecessor's key to keep the order, so take the leftmost real match.
    while (a < this.size && idHi[a] === hi && idLo[a] === lo) {
      if ((this.flags[a]! & F.FOREIGN) === 0) return a;
      a++;
    }
    return -1;
  }

  private grow(capacity: number): void {
    const copy = <A extends Float64Array | Uint32Array | Uint16Array | Uint8Array | Int32Array>(old: A, make: new (n: number) => A, n: number): A => {
      const next = new make(n);
      next.set(old);
      return next;
    };
    this.idHi = copy(this.idHi, Float64Array, capacity);
    this.idLo = copy(this.idLo, Uint32Array, capacity);
    this.state = copy(this.state, Uint8Array, capacity);
    this.flags = copy(this.flags, Uint16Array, capacity);
    this.urgency = copy(this.urgency, Uint8Array, capacity);
    this.result = copy(this.result, Uint8Array, capacity);
    this.status = copy(this.status, Int32Array, capacity);
    this.times = copy(this.times, Float64Array, capacity * T_COUNT);
    this.capacity = capacity;
  }
}
