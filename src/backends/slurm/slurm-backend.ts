/**
 * {@link SlurmBackend}: runs jobs as Slurm batch jobs and follows them with one `squeue` per
 * poll for all of them.
 *
 * @module
 */
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Backend, BackendCapabilities, BackendHost, JobHandle, PollInterval, RecoverInfo } from '../../core/backend.js';
import { UnsatisfiableRequestError } from '../../core/errors.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { SlurmCommands } from './commands.js';
import { SlurmCommandError, firstLine, lastLine } from './errors.js';
import {
  SQUEUE_FORMAT,
  parseSacct,
  parseSbatchParsable,
  parseScontrolConfig,
  parseSqueue,
  parseStatusFile,
  squeueRowKeys,
  type SqueueRow,
  type StatusFile,
} from './parse.js';
import { expandPathTemplate } from './quote.js';
import { type BatchScriptInput, renderBatchScript, scriptPath, startedPath, statusPath, trimSlash, type BatchScriptFile } from './render-batch-script.js';
import { slurmState } from './state-map.js';

/** Options of {@link SlurmBackend}. */
export interface SlurmBackendOptions {
  /**
   * Folder for generated scripts (`<f58>.sbatch`), status files (`<f58>.status`), `{{tmpdir}}`
   * folders (`<f58>.d`) and default outputs (`<f58>.out`, `<f58>.err`). Must be on a filesystem
   * that the compute nodes share with this process. Created if missing.
   */
  logDir: string;
  /** Partition for jobs whose spec names no queue. Default: the cluster's default partition. */
  partition?: string;
  /** Account to charge (`--account`). Default: the user's default account. */
  account?: string;
  /** Poll interval bounds in ms. Defaults: `min` 250, `max` 5000. */
  pollInterval?: { min?: number; max?: number };
  /** Array fan-outs run at most this many tasks at once (`--array=...%N`). Default: no limit. */
  arrayThrottle?: number;
  /**
   * Most tasks per `sbatch --array` (Slurm's `MaxArraySize`); bigger fan-outs are split.
   * Default: read once from `scontrol show config`.
   */
  maxArraySize?: number;
  /** Prepended to every Slurm command, e.g. `['ssh', 'login1']`. Default: none. */
  commandPrefix?: string[];
  /** Most sbatch calls in flight at once. Default 4. */
  submitConcurrency?: number;
  /**
   * How long sbatch is retried while the controller cannot be reached (connection refused:
   * nothing was submitted), in ms. Default 60000; 0 disables retries.
   */
  submitRetryMs?: number;
  /**
   * How long a job may be missing from `squeue` (and accounting) without a status file before it
   * is declared lost, in ms (status files can lag on shared filesystems). Default 30000.
   */
  vanishGraceMs?: number;
  /** Kill a Slurm command that runs longer than this (ms). Default 60000. */
  commandTimeoutMs?: number;
}

/** Where a job is, as the backend sees it. */
const enum P {
  /** sbatch not returned yet (or waiting for a dependency's sbatch). */
  SUBMITTING,
  /** Known to Slurm, followed by poll. */
  QUEUED,
  /** Reported finished or abandoned. */
  DONE,
}

interface SlurmJob {
  readonly handle: JobHandle;
  /** F58 id; status files are named after it. */
  readonly f58: string;
  /** Followed by {@link SlurmBackend.adopt}: no status file. */
  readonly adopted: boolean;
  /** Several tasks (run with srun): signals go to the steps, not to the batch shell. */
  readonly multiTask: boolean;
  phase: P;
  nativeId: string | undefined;
  /** Resolves with the native id once sbatch returned, or undefined if it never will. */
  readonly submitted: Promise<string | undefined>;
  /** Date.now() when the native id became known (a poll that started earlier cannot see it). */
  knownAt: number;
  started: boolean;
  cancelRequested: boolean;
  /** Whether Slurm holds the job (as submitted or last changed). */
  held: boolean;
  /** Whether it should be held (urgency 0). */
  wantHeld: boolean;
  /** Since when the job is missing from squeue (Date.now()). */
  missingSince: number | undefined;
  /** Adopted jobs: stdout/stderr as Slurm reports them. */
  paths?: { stdout: string; stderr: string };
  /** Adopted jobs that a jobfutures backend submitted: their status file. */
  ownStatus?: string;
  /** The job's last control command (scancel, scontrol hold/release): the next waits for it. */
  control: Promise<void>;
  /** Settles {@link SlurmJob.submitted}; dropped once called. */
  settle?: ((id: string | undefined) => void) | undefined;
}

/** What the jobspec accessors give that the backend uses (the `Jobspec` class has them all). */
interface SpecView {
  readonly command: readonly string[];
  readonly numTasks: number;
  readonly coresPerTask: number;
  readonly gpusPerTask: number;
  readonly numNodes: number | undefined;
  readonly exclusive: boolean;
  readonly duration: number;
  readonly cwd?: string | undefined;
  readonly environment?: Readonly<Record<string, string>> | undefined;
  readonly name?: string | undefined;
  readonly stdin?: string | undefined;
  readonly stdout?: string | undefined;
  readonly stderr?: string | undefined;
  readonly queue?: string | undefined;
  readonly files?: Readonly<Record<string, BatchScriptFile>> | undefined;
}

interface ClusterConfig {
  readonly maxArraySize: number;
  readonly accounting: boolean;
}

const NATIVE_ID = /^\d+(?:_\d+)?$/;
/** A job that ended COMPLETED with status 0 (an `afterok` dependency is met). */
const OUTCOME_OK = 1;
/** A job that ended any other way. */
const OUTCOME_FAILED = 2;

/**
 * A {@link Backend} that submits jobs to Slurm with `sbatch` and follows them by polling.
 *
 * - **Submission**: one generated batch script per job (see `renderBatchScript`); jobs of one
 *   `submit` call that share a Jobspec object, have no dependencies and the same urgency go out
 *   as one `sbatch --array` (split at `MaxArraySize`), each task keeping its own F58 id, paths
 *   and status file. sbatch calls run `submitConcurrency` at a time; while one is in flight the
 *   job stays SCHED. Dependencies become `--dependency=afterok:` on the dependencies' Slurm ids
 *   (waiting for their sbatch if needed); urgency 0 is `--hold` / `scontrol hold`.
 * - **Results** come from the status file the script writes (`<logDir>/<f58>.status`), never
 *   from accounting; Slurm's `exit_code` is the fallback (e.g. adopted jobs).
 * - **Polling**: {@link SlurmBackend.poll} runs exactly one `squeue --me -t all` for all active
 *   jobs (never `-j ids`, which fails as a whole when one id was purged) and reads status files;
 *   `sacct` only for jobs that left squeue, and only when the cluster has accounting. A failed
 *   squeue rejects the poll and changes no job.
 * - Every Slurm command is counted in {@link SlurmBackend.commandCounts}.
 */
export class SlurmBackend implements Backend {
  /** `slurm`. */
  readonly name = 'slurm';
  /** Native `afterok` and `afterany` dependencies; follows jobs submitted elsewhere. */
  readonly capabilities: BackendCapabilities = { nativeDependencies: ['afterok', 'afterany'], adopt: true };
  /** Poll interval bounds (ms). */
  readonly pollInterval: PollInterval;

  readonly #opts: SlurmBackendOptions;
  readonly #logDir: string;
  readonly #commands: SlurmCommands;
  readonly #jobs = new Map<JobHandle, SlurmJob>();
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #submitConcurrency: number;
  #slotsInUse = 0;
  readonly #slotWaiters: (() => void)[] = [];
  #host: BackendHost | undefined;
  #config: Promise<ClusterConfig> | undefined;
  /** By job handle: 0 unknown, {@link OUTCOME_OK} or {@link OUTCOME_FAILED} once it ended. */
  #outcomes = new Uint8Array(0);
  #logDirReady: Promise<unknown> | undefined;
  #closed = false;

  /**
   * @throws {@link InvalidArgumentError} for a missing `logDir` or out-of-range numbers.
   */
  constructor(opts: SlurmBackendOptions) {
    if (typeof opts?.logDir !== 'string' || opts.logDir === '') throw new InvalidArgumentError('opts.logDir', 'must be a non-empty path');
    const min = opts.pollInterval?.min ?? 250;
    const max = opts.pollInterval?.max ?? 5000;
    if (!(min > 0) || !(max >= min)) throw new InvalidArgumentError('opts.pollInterval', `needs 0 < min <= max (got min ${min}, max ${max})`);
    for (const key of ['arrayThrottle', 'maxArraySize', 'submitConcurrency'] as const) {
      const v = opts[key];
      if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new InvalidArgumentError(`opts.${key}`, `must be a positive integer (got ${String(v)})`);
    }
    this.#opts = opts;
    this.#logDir = path.resolve(opts.logDir);
    this.pollInterval = { min, max };
    this.#submitConcurrency = opts.submitConcurrency ?? 4;
    this.#commands = new SlurmCommands({ prefix: opts.commandPrefix ?? [], timeoutMs: opts.commandTimeoutMs ?? 60_000 });
  }

  /** Slurm commands run so far, by tool (`sbatch`, `squeue`, `scontrol`, `scancel`, `sacct`). */
  get commandCounts(): Readonly<Record<string, number>> {
    return this.#commands.counts;
  }

  /** The absolute log folder. */
  get logDir(): string {
    return this.#logDir;
  }

  /** Receives the engine's host; called once before anything else. */
  bind(host: BackendHost): void {
    this.#host = host;
  }

  /**
   * Rejects specs no Slurm job can run as written: NUL characters (no argument, variable or path
   * can hold one), environment names with `=`, and file names that are not plain names.
   *
   * @throws {@link UnsatisfiableRequestError} naming the offending part of the spec.
   */
  check(spec: SpecView): void {
    spec.command.forEach((arg, i) => noNul(arg, `/tasks/0/command/${i}`));
    const env = spec.environment;
    if (env) {
      for (const [k, v] of Object.entries(env)) {
        if (k === '' || k.includes('=')) throw new UnsatisfiableRequestError(`/attributes/system/environment/${k}`, 'variable names cannot be empty or hold "="');
        noNul(k, `/attributes/system/environment/${k}`);
        noNul(v, `/attributes/system/environment/${k}`);
      }
    }
    for (const [key, value] of [['cwd', spec.cwd], ['stdin', spec.stdin], ['stdout', spec.stdout], ['stderr', spec.stderr], ['name', spec.name], ['queue', spec.queue]] as const) {
      if (value !== undefined) noNul(value, `/attributes/system/${key}`);
    }
    for (const name of Object.keys(spec.files ?? {})) {
      if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
        throw new UnsatisfiableRequestError(`/attributes/system/files/${name}`, 'file names must be plain names inside {{tmpdir}} (no "/", ".", "..")');
      }
    }
  }

  /**
   * Hands jobs over: each is submitted with sbatch in the background (fan-outs as arrays) and
   * stays SCHED until a poll sees it run. Failures are reported through the host (`exec`).
   */
  submit(jobs: readonly JobHandle[]): void {
    const host = this.#requireHost();
    // Fan-outs: same Jobspec object, no dependencies, same urgency.
    const groups = new Map<object, Map<number, SlurmJob[]>>();
    const singles: SlurmJob[] = [];
    const starts: (() => Promise<void>)[] = [];
    for (const handle of jobs) {
      const spec = host.spec(handle) as SpecView;
      let settle!: (id: string | undefined) => void;
      const submitted = new Promise<string | undefined>((r) => (settle = r));
      const urgency = host.urgency(handle);
      const job: SlurmJob = {
        handle,
        f58: host.jobid(handle).f58,
        adopted: false,
        multiTask: spec.numTasks > 1,
        phase: P.SUBMITTING,
        nativeId: undefined,
        submitted,
        knownAt: Infinity,
        started: false,
        cancelRequested: false,
        held: urgency === 0,
        wantHeld: urgency === 0,
        missingSince: undefined,
        control: Promise.resolve(),
        settle,
      };
      this.#jobs.set(handle, job);
      if (host.dependencies(handle, 'afterok').length > 0 || host.dependencies(handle, 'afterany').length > 0) {
        singles.push(job);
        continue;
      }
      let byUrgency = groups.get(spec as object);
      if (!byUrgency) groups.set(spec as object, (byUrgency = new Map()));
      let list = byUrgency.get(urgency);
      if (!list) byUrgency.set(urgency, (list = []));
      list.push(job);
    }
    const env = new Lazy(() => processEnvironment());
    for (const byUrgency of groups.values()) {
      for (const list of byUrgency.values()) {
        if (list.length === 1) singles.push(list[0]!);
        else starts.push(() => this.#submitArray(list, env));
      }
    }
    for (const job of singles) starts.push(() => this.#submitOne(job, env));
    for (const start of starts) this.#track(start());
  }

  /**
   * `scancel`s the job (after its sbatch returns, if it is in flight). The next polls report it:
   * abandoned if it never ran, finished (killed by SIGTERM) if it did.
   */
  cancel(job: JobHandle): void {
    const j = this.#jobs.get(job);
    if (!j || j.phase === P.DONE) return;
    j.cancelRequested = true;
    if (j.phase === P.SUBMITTING) return; // sbatch in flight or queued: handled when it returns
    this.#serial(j, () => this.#scancel(j, []));
  }

  /** `scancel --signal=SIG` to the job's command; how it ends comes through the polls. */
  kill(job: JobHandle, signal: NodeJS.Signals): boolean {
    const j = this.#jobs.get(job);
    if (!j || j.phase !== P.QUEUED || !j.started) return false;
    const name = signal.replace(/^SIG/, '');
    // One task: the batch step is the job (--full). Several: only the srun step's tasks, or the
    // tasks would get the signal twice (once more from srun forwarding it).
    this.#serial(j, () => this.#scancel(j, [`--signal=${name}`, ...(j.multiTask ? [] : ['--full'])]));
    return true;
  }

  /** Urgency 0 holds a pending job (`scontrol hold`); raising it from 0 releases it. */
  setUrgency(job: JobHandle, urgency: number): void {
    const j = this.#jobs.get(job);
    if (!j || j.phase === P.DONE) return;
    j.wantHeld = urgency === 0;
    if (j.phase === P.QUEUED) this.#serial(j, () => this.#applyHold(j));
  }

  /**
   * The job's stdout/stderr files, absolute, templates expanded (default `<logDir>/<f58>.out`
   * and `.err`); for adopted jobs, the paths Slurm reports once known.
   */
  outputPaths(job: JobHandle): { stdout: string; stderr: string } {
    const j = this.#jobs.get(job);
    if (j?.paths) return j.paths;
    const host = this.#requireHost();
    const spec = host.spec(job) as SpecView;
    const f58 = j?.f58 ?? host.jobid(job).f58;
    const t = this.#pathTemplates(spec);
    const name = jobName(spec);
    return { stdout: expandPathTemplate(t.stdout, f58, name), stderr: expandPathTemplate(t.stderr, f58, name) };
  }

  /**
   * Takes over a job restored from a store whose owner died. With a native id it is adopted.
   * Without one, its owner may have died while sbatch ran: one `squeue -r` for all such jobs finds
   * any Slurm job running one of our scripts for it (arrays: through the script's index table), and
   * adopts it; only a job Slurm has never seen is submitted again, so nothing runs twice.
   */
  recover(job: JobHandle, info: RecoverInfo): void {
    if (info.nativeId !== undefined) {
      this.adopt(job, info.nativeId);
      return;
    }
    this.#toRecover.push(job);
    if (this.#toRecover.length === 1) queueMicrotask(() => this.#track(this.#recoverUnnamed()));
  }

  readonly #toRecover: JobHandle[] = [];

  async #recoverUnnamed(): Promise<void> {
    const host = this.#requireHost();
    const jobs = this.#toRecover.splice(0);
    let listing: string | undefined;
    for (let attempt = 0; listing === undefined; attempt++) {
      try {
        listing = (await this.#commands.run('squeue', ['--me', '-r', '-t', 'all', '-h', '-o', '%i|%o'])).stdout;
      } catch (error) {
        // Resubmitting blind could run a job twice: wait for the controller instead.
        if (this.#closed) return;
        if (attempt > 20) throw error;
        await sleep(Math.min(500 * 2 ** attempt, 5000));
      }
    }
    const wanted = new Set(jobs.map((job) => host.jobid(job).f58));
    const found = new Map<string, string>();
    const scripts = new Map<string, string | undefined>();
    for (const line of listing.split('\n')) {
      const bar = line.indexOf('|');
      if (bar < 0) continue;
      const nativeId = line.slice(0, bar).trim();
      const command = line.slice(bar + 1).trim();
      if (!command.endsWith('.sbatch') || !command.startsWith(`${trimSlash(this.#logDir)}/`)) continue;
      if (!scripts.has(command)) scripts.set(command, await readFile(command, 'utf8').catch(() => undefined));
      const script = scripts.get(command);
      const own = script === undefined ? undefined : ownJobOf(script, nativeId);
      if (own && wanted.has(own.f58)) found.set(own.f58, nativeId);
    }
    const again: JobHandle[] = [];
    for (const job of jobs) {
      const nativeId = found.get(host.jobid(job).f58);
      if (nativeId !== undefined) this.adopt(job, nativeId);
      else again.push(job);
    }
    if (again.length > 0) this.submit(again);
  }

  /**
   * Follows a job submitted elsewhere (`123` or `123_4`) to its end; without a status file its
   * wait status is Slurm's `exit_code`. An id that is not a Slurm job id raises `lost`.
   */
  adopt(job: JobHandle, nativeId: string): void {
    const host = this.#requireHost();
    const j: SlurmJob = {
      handle: job,
      f58: host.jobid(job).f58,
      adopted: true,
      multiTask: false,
      phase: P.QUEUED,
      nativeId,
      submitted: Promise.resolve(nativeId),
      knownAt: Date.now(),
      started: false,
      cancelRequested: false,
      held: false,
      wantHeld: false,
      missingSince: undefined,
      control: Promise.resolve(),
    };
    this.#jobs.set(job, j);
    if (!NATIVE_ID.test(nativeId)) {
      j.phase = P.DONE;
      host.exception(job, 'lost', 0, `'${nativeId}' is not a Slurm job id (expected 123 or 123_4)`);
      host.abandoned(job);
      return;
    }
    host.setNativeId(job, nativeId);
    this.#track(this.#fetchAdoptedPaths(j));
  }

  /**
   * One `squeue` for all of `active`; then status files (and `sacct`, with accounting) for the
   * jobs that ended or left the queue. Resolves to whether any job changed.
   *
   * @throws {@link SlurmCommandError} when squeue fails (e.g. the controller restarts); no job
   *   is changed then.
   */
  async poll(active: readonly JobHandle[]): Promise<boolean> {
    if (this.#closed) return false;
    const host = this.#requireHost();
    const followed: SlurmJob[] = [];
    for (const h of active) {
      const j = this.#jobs.get(h);
      if (j && j.phase === P.QUEUED && j.nativeId !== undefined) followed.push(j);
    }
    if (followed.length === 0) return false;
    const startedAt = Date.now();
    const { stdout } = await this.#commands.run('squeue', ['--me', '-t', 'all', '-h', '-O', SQUEUE_FORMAT]);
    if (this.#closed) return false;
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
        if (j.knownAt < startedAt) missing.push(j);
        continue;
      }
      j.missingSince = undefined;
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
      const marker = (j: SlurmJob) => (j.adopted ? (j.ownStatus === undefined ? undefined : `${j.ownStatus}.started`) : startedPath(this.#logDir, j.f58));
      const ok = await Promise.all(starting.map((j) => {
        const m = marker(j);
        return m === undefined ? true : access(m).then(() => true, () => false);
      }));
      starting.forEach((j, i) => {
        if (!ok[i] || j.phase !== P.QUEUED) return;
        j.started = true;
        host.started(j.handle);
        changed = true;
      });
    }
    // The previous run's files must not be taken for the next one's (which may fail to start).
    if (requeued.length > 0) {
      const files = requeued.filter((j) => !j.adopted).flatMap((j) => [statusPath(this.#logDir, j.f58), startedPath(this.#logDir, j.f58)]);
      await Promise.all(files.map((f) => rm(f, { force: true }).catch(() => undefined)));
    }
    if (ended.length === 0 && missing.length === 0) return changed;

    const statuses = await Promise.all([...ended.map((e) => e.job), ...missing].map((j) => this.#readStatus(j)));
    const status = (i: number) => statuses[i];
    ended.forEach(({ job, row }, i) => {
      if (job.phase !== P.QUEUED) return;
      this.#ended(job, row.state, row.reason, status(i), row.exitCode, row.nodeList !== '');
      changed = true;
    });
    const unresolved: SlurmJob[] = [];
    missing.forEach((job, k) => {
      if (job.phase !== P.QUEUED) return;
      const st = status(ended.length + k);
      if (st) {
        this.#ended(job, st.waitstatus === 0 ? 'COMPLETED' : 'FAILED', 'left the queue', st, undefined, true);
        changed = true;
      } else unresolved.push(job);
    });
    if (unresolved.length > 0 && (await this.#vanished(unresolved))) changed = true;
    return changed;
  }

  /** Stops polling and waits for the Slurm commands still running (sbatch, scancel, ...). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const wake of this.#slotWaiters.splice(0)) wake();
    // Submissions waiting for a dependency's sbatch must not wait for ever.
    for (const j of this.#jobs.values()) if (j.phase === P.SUBMITTING) settleSubmitted(j, undefined);
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }

  // ---------------------------------------------------------------- submission

  async #submitOne(job: SlurmJob, env: Lazy<Record<string, string>>): Promise<void> {
    const host = this.#requireHost();
    const afterok: string[] = [];
    const afterany: string[] = [];
    for (const d of host.dependencies(job.handle, 'afterok')) {
      // Dependencies that already ended are settled here: Slurm forgets jobs after MinJobAge,
      // and afterok on a forgotten id makes sbatch fail.
      const outcome = this.#outcomes[d];
      if (outcome === OUTCOME_OK) continue;
      const id = outcome === OUTCOME_FAILED ? undefined : await this.#slurmIdOf(d);
      if (id === undefined || this.#outcomes[d] === OUTCOME_FAILED) {
        const why = this.#outcomes[d] === OUTCOME_FAILED ? 'did not complete' : 'never reached Slurm';
        this.#giveUp([job], 'dependency', `dependency ${host.jobid(d).f58} ${why}`);
        return;
      }
      if (this.#outcomes[d] !== OUTCOME_OK) afterok.push(id);
    }
    for (const d of host.dependencies(job.handle, 'afterany')) {
      // An ended dependency (or one that never reached Slurm, and so ends here) is met.
      if (this.#outcomes[d]) continue;
      const id = await this.#slurmIdOf(d);
      if (id !== undefined && !this.#outcomes[d]) afterany.push(id);
    }
    await this.#sbatch([job], env, { afterok, afterany });
  }

  /** The Slurm id of a job of this backend, once its sbatch returned (undefined if it never got one). */
  #slurmIdOf(job: JobHandle): Promise<string | undefined> {
    return this.#jobs.get(job)?.submitted ?? Promise.resolve(this.#requireHost().nativeId(job));
  }

  async #submitArray(jobs: SlurmJob[], env: Lazy<Record<string, string>>): Promise<void> {
    let chunk = this.#opts.maxArraySize;
    if (chunk === undefined) {
      try {
        chunk = (await this.#clusterConfig()).maxArraySize;
      } catch {
        chunk = 1001; // Slurm's default MaxArraySize
      }
    }
    const parts: Promise<void>[] = [];
    for (let i = 0; i < jobs.length; i += chunk) parts.push(this.#sbatch(jobs.slice(i, i + chunk), env, {}));
    await Promise.all(parts);
  }

  /** Renders, writes and submits one job or one array; reports the outcome to the host. */
  async #sbatch(jobs: SlurmJob[], env: Lazy<Record<string, string>>, dependencies: BatchScriptInput['dependencies']): Promise<void> {
    const host = this.#requireHost();
    await this.#acquireSlot();
    try {
      if (this.#closed) return this.#giveUp(jobs, undefined, '');
      const live = jobs.filter((j) => !j.cancelRequested);
      if (live.length === 0) return this.#giveUp(jobs, undefined, '');
      const first = jobs[0]!;
      const spec = host.spec(first.handle) as SpecView;
      const hold = first.wantHeld;
      let sbatchArgs: string[];
      try {
        const rendered = renderBatchScript({
          ids: jobs.map((j) => j.f58),
          command: spec.command,
          environment: spec.environment ?? env.get(),
          name: jobName(spec),
          logDir: this.#logDir,
          cwd: this.#cwd(spec),
          ...this.#pathTemplates(spec),
          numTasks: spec.numTasks,
          coresPerTask: spec.coresPerTask,
          gpusPerTask: spec.gpusPerTask,
          ...(spec.numNodes !== undefined && { numNodes: spec.numNodes }),
          exclusive: spec.exclusive,
          duration: spec.duration,
          ...optional('partition', spec.queue ?? this.#opts.partition),
          ...optional('account', this.#opts.account),
          hold,
          dependencies,
          ...optional('arrayThrottle', this.#opts.arrayThrottle),
          ...optional('files', spec.files),
        });
        await (this.#logDirReady ??= mkdir(this.#logDir, { recursive: true }));
        const file = scriptPath(this.#logDir, first.f58);
        await writeFile(file, rendered.script, { mode: 0o700 });
        sbatchArgs = [...rendered.sbatchArgs, file];
      } catch (error) {
        return this.#giveUp(jobs, 'exec', `cannot prepare the batch script: ${errorText(error)}`);
      }
      let out: string;
      const deadline = Date.now() + (this.#opts.submitRetryMs ?? 60_000);
      for (let attempt = 0; ; attempt++) {
        try {
          out = (await this.#commands.run('sbatch', sbatchArgs)).stdout;
          break;
        } catch (error) {
          if (error instanceof SlurmCommandError && error.unreachable && Date.now() < deadline && !this.#closed) {
            await sleep(Math.min(500 * 2 ** attempt, 5000));
            continue;
          }
          const text = error instanceof SlurmCommandError ? lastLine(error.stderr) || error.message : errorText(error);
          return this.#giveUp(jobs, Object.values(dependencies).some((ids) => ids !== undefined && ids.length > 0) && /dependency/i.test(text) ? 'dependency' : 'exec', `sbatch failed: ${text}`);
        }
      }
      const id = parseSbatchParsable(out);
      if (id === undefined) return this.#giveUp(jobs, 'exec', `sbatch printed no job id: ${firstLine(out)}`);
      const now = Date.now();
      jobs.forEach((j, i) => {
        j.nativeId = jobs.length > 1 ? `${id}_${i}` : id;
        j.knownAt = now;
        j.phase = P.QUEUED;
        j.held = hold;
        host.setNativeId(j.handle, j.nativeId);
        settleSubmitted(j, j.nativeId);
      });
      // What changed while sbatch ran: cancels, urgency.
      for (const j of jobs) {
        if (j.cancelRequested) this.#serial(j, () => this.#scancel(j, []));
        else if (j.wantHeld !== j.held) this.#serial(j, () => this.#applyHold(j));
      }
    } finally {
      this.#releaseSlot();
    }
  }

  /** The jobs never reach Slurm: raise `type` (unless canceled already), then abandon them. */
  #giveUp(jobs: SlurmJob[], type: string | undefined, note: string): void {
    const host = this.#requireHost();
    for (const j of jobs) {
      if (j.phase === P.DONE) continue;
      this.#done(j);
      settleSubmitted(j, undefined);
      if (this.#closed) continue;
      if (type !== undefined && !j.cancelRequested) host.exception(j.handle, type, 0, note);
      host.abandoned(j.handle);
    }
  }

  // ---------------------------------------------------------------- control

  async #scancel(j: SlurmJob, args: string[]): Promise<void> {
    try {
      await this.#commands.run('scancel', [...args, j.nativeId!]);
    } catch {
      // The job may have ended meanwhile; the next poll tells what happened.
    }
  }

  async #applyHold(j: SlurmJob): Promise<void> {
    if (j.wantHeld === j.held || j.nativeId === undefined) return;
    const want = j.wantHeld;
    j.held = want;
    try {
      await this.#commands.run('scontrol', [want ? 'hold' : 'release', j.nativeId]);
    } catch {
      // A job that started or ended can no longer be held; nothing to do.
    }
  }

  /**
   * Adopted jobs: their output paths from `scontrol show job`, and, for a job that a jobfutures
   * Slurm backend submitted (its `Command` is one of our `<logDir>/<f58>.sbatch` scripts), the
   * status file its script writes: a restarted program gets exact results back.
   */
  async #fetchAdoptedPaths(j: SlurmJob): Promise<void> {
    try {
      const { stdout } = await this.#commands.run('scontrol', ['show', 'job', '-o', j.nativeId!]);
      const out = /\bStdOut=(\S*)/.exec(stdout)?.[1];
      const err = /\bStdErr=(\S*)/.exec(stdout)?.[1];
      if (out) j.paths = { stdout: out, stderr: err || out };
      const command = /\bCommand=(\S+\.sbatch)(?=\s|$)/.exec(stdout)?.[1];
      const own = command === undefined ? undefined : ownJobOf(await readFile(command, 'utf8'), j.nativeId!);
      if (own) {
        j.ownStatus = statusPath(own.logDir, own.f58);
        // Array tasks open their files in the script (Slurm's are /dev/null): the default ones.
        if (j.paths?.stdout === '/dev/null' && own.defaultOutputs) j.paths = { stdout: `${own.logDir}/${own.f58}.out`, stderr: `${own.logDir}/${own.f58}.err` };
      }
    } catch {
      // Unknown or purged job, or not one of ours: the poll reports it from Slurm's exit code.
    }
  }

  // ---------------------------------------------------------------- results

  /**
   * A job reached a final Slurm state (or left the queue with a status file): raise what Slurm
   * did to it, then report finished (it ran) or abandoned (it never did).
   */
  #ended(j: SlurmJob, state: string, reason: string, st: StatusFile | undefined, exitCode: number | undefined, gotNodes: boolean): void {
    const host = this.#requireHost();
    const info = slurmState(state);
    const ran = j.started || st !== undefined || gotNodes;
    const ws = st?.waitstatus ?? exitCode ?? 0;
    this.#done(j);
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
    this.#setOutcome(j.handle, info.result === 'COMPLETED' && ws === 0 && !j.cancelRequested && st?.execError === undefined);
    if (ran) host.finished(j.handle, ws);
    else host.abandoned(j.handle);
  }

  /**
   * Jobs missing from squeue without a status file: ask accounting if there is one, else wait
   * `vanishGraceMs` (a status file may lag on a shared filesystem), then declare them lost.
   */
  async #vanished(jobs: SlurmJob[]): Promise<boolean> {
    const host = this.#requireHost();
    let changed = false;
    let config: ClusterConfig | undefined;
    try {
      config = await this.#clusterConfig();
    } catch {
      config = undefined;
    }
    let acct = new Map<string, { state: string; waitstatus: number | undefined }>();
    if (config?.accounting) {
      try {
        const ids = jobs.map((j) => j.nativeId!).join(',');
        acct = parseSacct((await this.#commands.run('sacct', ['-X', '-n', '-P', '-o', 'JobID,State,ExitCode', '-j', ids])).stdout);
      } catch {
        // Accounting lags or is down: the grace period covers it.
      }
    }
    const now = Date.now();
    const grace = this.#opts.vanishGraceMs ?? 30_000;
    for (const j of jobs) {
      if (j.phase !== P.QUEUED) continue;
      const rec = acct.get(j.nativeId!);
      if (rec && slurmState(rec.state).phase === 'final') {
        this.#ended(j, rec.state, '', undefined, rec.waitstatus, j.started);
        changed = true;
        continue;
      }
      j.missingSince ??= now;
      if (now - j.missingSince < grace) continue;
      this.#done(j);
      if (!j.cancelRequested) host.exception(j.handle, 'lost', 0, `Slurm job ${j.nativeId} left the queue without a status file`);
      host.abandoned(j.handle);
      changed = true;
    }
    return changed;
  }

  async #readStatus(j: SlurmJob): Promise<StatusFile | undefined> {
    const file = j.adopted ? j.ownStatus : statusPath(this.#logDir, j.f58);
    if (file === undefined) return undefined;
    try {
      return parseStatusFile(await readFile(file, 'utf8'));
    } catch {
      return undefined;
    }
  }

  // ---------------------------------------------------------------- helpers

  /**
   * The job is over for the backend: forget it (adopted jobs stay, for their output paths). Its
   * outcome stays known as failed unless {@link SlurmBackend.#setOutcome} says it completed.
   */
  #done(j: SlurmJob): void {
    j.phase = P.DONE;
    if (!j.adopted) this.#jobs.delete(j.handle);
    if ((this.#outcomes[j.handle] ?? 0) === 0) this.#setOutcome(j.handle, false);
  }

  /** Records whether a job completed successfully (for jobs that depend on it later). */
  #setOutcome(job: JobHandle, ok: boolean): void {
    if (job >= this.#outcomes.length) {
      const grown = new Uint8Array(Math.max(job + 1, this.#outcomes.length * 2, 1024));
      grown.set(this.#outcomes);
      this.#outcomes = grown;
    }
    this.#outcomes[job] = ok ? OUTCOME_OK : OUTCOME_FAILED;
  }

  /** Runs Slurm control commands of one job one after the other (hold then release, ...). */
  #serial(j: SlurmJob, fn: () => Promise<void>): void {
    const next = j.control.then(fn, fn);
    j.control = next;
    this.#track(next);
  }

  #clusterConfig(): Promise<ClusterConfig> {
    this.#config ??= this.#commands.run('scontrol', ['show', 'config']).then(({ stdout }) => {
      const conf = parseScontrolConfig(stdout);
      const max = Number(conf.get('MaxArraySize'));
      const storage = conf.get('AccountingStorageType') ?? 'accounting_storage/none';
      return { maxArraySize: Number.isInteger(max) && max > 0 ? max : 1001, accounting: !storage.endsWith('/none') };
    });
    this.#config.catch(() => (this.#config = undefined));
    return this.#config;
  }

  #cwd(spec: SpecView): string {
    return spec.cwd === undefined ? process.cwd() : path.resolve(spec.cwd);
  }

  /** Absolute stdout/stderr/stdin templates (`{{id}}`, `{{name}}` left in), as the local backend resolves them. */
  #pathTemplates(spec: SpecView): { stdout: string; stderr: string; stdin?: string } {
    const base = this.#cwd(spec);
    const stdout = spec.stdout === undefined ? path.join(this.#logDir, '{{id}}.out') : path.resolve(base, spec.stdout);
    const stderr = spec.stderr === undefined ? (spec.stdout === undefined ? path.join(this.#logDir, '{{id}}.err') : stdout) : path.resolve(base, spec.stderr);
    return { stdout, stderr, ...(spec.stdin !== undefined && { stdin: path.resolve(base, spec.stdin) }) };
  }

  #requireHost(): BackendHost {
    if (!this.#host) throw new InvalidArgumentError('host', 'SlurmBackend.bind() was not called');
    return this.#host;
  }

  #track(p: Promise<unknown>): void {
    const q = p.catch(() => undefined).finally(() => this.#inflight.delete(q));
    this.#inflight.add(q);
  }

  async #acquireSlot(): Promise<void> {
    if (this.#closed || this.#slotsInUse < this.#submitConcurrency) {
      this.#slotsInUse++;
      return;
    }
    await new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
    this.#slotsInUse++;
  }

  #releaseSlot(): void {
    this.#slotsInUse--;
    this.#slotWaiters.shift()?.();
  }
}

/**
 * What our batch script `script` says about Slurm job `nativeId`: its log folder, its F58 id (for
 * an array task: the one of its index in the `case` table), and whether an array keeps the
 * default output files. `undefined` if the script is not one of ours.
 */
function ownJobOf(script: string, nativeId: string): { logDir: string; f58: string; defaultOutputs: boolean } | undefined {
  if (!script.includes('# Batch script generated by jobfutures')) return undefined;
  const logDir = unquote(/^__jf_log=(.*)$/m.exec(script)?.[1]);
  const index = nativeId.includes('_') ? nativeId.split('_')[1]! : undefined;
  const idLine = index === undefined ? /^__jf_id=(.*)$/m.exec(script) : new RegExp(`^${index}\\) __jf_id=(.*) ;;$`, 'm').exec(script);
  const f58 = unquote(idLine?.[1]);
  if (logDir === undefined || f58 === undefined) return undefined;
  const q = /^[A-Za-z0-9_@%+:,./-]+$/.test(logDir) ? logDir : `'${logDir}'`;
  return { logDir, f58, defaultOutputs: script.includes(`\nexec >${q}/"$__jf_id".out 2>${q}/"$__jf_id".err `) };
}

/** Reverses {@link shQuote} for the simple words it writes (plain, or one '...' without quotes inside). */
function unquote(word: string | undefined): string | undefined {
  if (word === undefined) return undefined;
  if (/^'[^']*'$/.test(word)) return word.slice(1, -1);
  return /^[A-Za-z0-9_@%+:,./\u0080-\uffff-]+$/.test(word) ? word : undefined;
}

function settleSubmitted(j: SlurmJob, id: string | undefined): void {
  const settle = j.settle;
  j.settle = undefined;
  settle?.(id);
}

class Lazy<T> {
  #value: T | undefined;
  #done = false;
  constructor(private readonly make: () => T) {}
  get(): T {
    if (!this.#done) {
      this.#value = this.make();
      this.#done = true;
    }
    return this.#value as T;
  }
}

/** The environment of this process, for jobs whose spec has none. */
function processEnvironment(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) out[k] = v;
  return out;
}

/** The job's name: the spec's, else the command's base name (as the local backend). */
function jobName(spec: SpecView): string {
  return spec.name ?? path.basename(spec.command[0] ?? 'job');
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function noNul(s: string, where: string): void {
  if (s.includes('\0')) throw new UnsatisfiableRequestError(where, 'holds a NUL character, which no Slurm job can receive');
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
