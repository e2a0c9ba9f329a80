import { writeFileSync } from 'node:fs';
import { availableParallelism, constants as osConstants } from 'node:os';
import type { Backend, BackendCapabilities, BackendHost, JobHandle, RecoverInfo } from '../../core/backend.js';
import { UnsatisfiableRequestError } from '../../core/errors.js';
import { InvalidArgumentError } from '../../util/errors.js';
import type { Jobspec } from '../../jobspec/index.js';
import { now } from '../../util/time.js';
import { JobFiles, executableProblem, isDirectory } from './job-files.js';
import { checkMpi, isMpiJob, killDescendants, processCount, withMpiLauncher } from './mpi-launch.js';
import { JobFollower, findJobProcesses, readStatusFiles, removeStatusFiles, signalGroup, withStatusWrapper, type FollowedJob } from './persistence.js';
import { allTasksDone, hasUnansweredTasks, newRunningJob, spawnFailure, type RunningJob } from './running-job.js';
import type { Spawner, SpawnerFactory, SpawnerListener } from './spawner.js';
import { resolveSpawner } from './spawners.js';
import { StandbyPool } from './standby-pool.js';
import { TimerHeap } from './timer-heap.js';
import { UrgencyQueue } from './urgency-queue.js';

export { expandTemplate } from './job-files.js';
export { hasStartedTrace } from './persistence.js';

/** Options of {@link LocalBackend}. */
export interface LocalBackendOptions {
  /** Cores that jobs may use at once (a job needs `numTasks × coresPerTask`). Default: `os.availableParallelism()`. */
  readonly maxCores?: number;
  /** Folder for default stdout/stderr files (`<f58 id>.out|.err`) and batch scripts. Default: a new temp folder per backend, made on first use. */
  readonly logDir?: string;
  /**
   * Create the default stdout/stderr files (`<f58 id>.out|.err`, for jobs whose spec names no
   * output, single-task) only once the job writes to them: within ~100 ms of its first write while
   * it runs, and before its `finish` event if it wrote by then. A job that writes nothing to a
   * stream leaves no file for it, and `readStdout()`/`readStderr()` of the finished job give ''.
   * Creating two files per job is the dearest part of starting short jobs. Output written after
   * the job ended, by processes it left behind, is kept only if the file existed by then. Needs the
   * native launcher and O_TMPFILE (else the files are made at once). Default true, except with
   * `persistent` (jobs outliving this process get their files at once).
   */
  readonly lazyOutput?: boolean;
  /** Milliseconds between SIGTERM and SIGKILL when a job is canceled or times out. Default 5000. */
  readonly killTimeout?: number;
  /** How processes are started: `auto` (the native launcher when built, else execa), `launcher`, `execa`, or a factory. Default `auto`. */
  readonly spawner?: 'auto' | 'launcher' | 'execa' | SpawnerFactory;
  /**
   * Jobs outlive this process, however it ends (exit, uncaught exception, SIGINT, SIGTERM, SIGKILL):
   * each task runs under a small `sh` wrapper that records its exit status in
   * `<logDir>/<f58>[.<rank>].status`, so that a later executor on the same store can take them over
   * ({@link LocalBackend.recover}). Default false (the job store turns it on).
   */
  readonly persistent?: boolean;
  /** With `persistent`: a started job whose fate cannot be known is queued again instead of failing with `lost`. Default false. */
  readonly requeueLost?: boolean;
}

const enum L {
  NONE = 0,
  QUEUED = 1,
  RUNNING = 2,
  DONE = 3,
  /** Handed to the spawner ahead of time, waiting there for a slot (see standby-pool.ts). */
  STANDBY = 4,
}

const enum K {
  TIMEOUT = 0,
  KILL = 1,
  SIM_END = 2,
}

const SIGNAL_NUMBERS = osConstants.signals as Record<string, number>;

/**
 * The embedded backend: runs jobs as local processes, fitting them into `maxCores` by urgency and
 * submit order. Each job runs in its own process group, so grandchildren end with it. Jobs with
 * `attributes.system.exec.test.run_duration` go through the whole lifecycle without a process.
 *
 * Events are the spawner's: `start` is when the job's first process was created and `finish` when
 * its last one was reaped, as the spawner (the native launcher) timed them, not when Node heard.
 */
export class LocalBackend implements Backend, SpawnerListener {
  readonly name = 'local';
  readonly capabilities: BackendCapabilities = { nativeDependencies: [], adopt: false };
  /** Cores jobs may use at once. */
  readonly maxCores: number;
  /** Milliseconds between SIGTERM and SIGKILL. */
  readonly killTimeout: number;
  private host!: BackendHost;
  private freeCores: number;
  private readonly queue = new UrgencyQueue();
  private local = new Uint8Array(1024);
  private readonly running = new Map<JobHandle, RunningJob>();
  /** Cores held by simulated jobs that are running (they have no RunningJob). */
  private readonly simCores = new Map<JobHandle, number>();
  private readonly timers: TimerHeap;
  private spawner: Spawner | undefined;
  private readonly spawnerOption: LocalBackendOptions['spawner'];
  private readonly files: JobFiles;
  // process slots: the key a spawner echoes back
  private slotJob: number[] = [];
  private slotRank: number[] = [];
  private freeSlots: number[] = [];
  private draining = false;
  private closed = false;
  private readonly persistent: boolean;
  /** Default output files are made once written (see {@link LocalBackendOptions.lazyOutput}). */
  private readonly lazyOutput: boolean;
  private readonly requeueLost: boolean;
  /** Jobs started by an owner that died. */
  private readonly follower: JobFollower;
  /** Whether the spawner offers hand-off and we use it (not in persistent mode); set with the spawner. */
  private handoff = false;
  private readonly standbys = new StandbyPool();

  constructor(options: LocalBackendOptions = {}) {
    const maxCores = options.maxCores ?? availableParallelism();
    if (!Number.isInteger(maxCores) || maxCores < 1) throw new InvalidArgumentError('opts.maxCores', `must be a positive integer, got ${String(maxCores)}`);
    const killTimeout = options.killTimeout ?? 5000;
    if (!(killTimeout >= 0) || !Number.isFinite(killTimeout)) throw new InvalidArgumentError('opts.killTimeout', `must be a non-negative number of ms, got ${String(killTimeout)}`);
    this.maxCores = maxCores;
    this.freeCores = maxCores;
    this.killTimeout = killTimeout;
    this.files = new JobFiles(options.logDir);
    this.spawnerOption = options.spawner;
    this.persistent = options.persistent ?? false;
    this.lazyOutput = !this.persistent && (options.lazyOutput ?? true);
    this.requeueLost = options.requeueLost ?? false;
    this.timers = new TimerHeap((job, kind) => this.onTimer(job, kind));
    this.follower = new JobFollower(
      () => this.logDir,
      (job, f, statuses) => this.followedEnded(job, f, statuses),
    );
  }

  /** The folder for default outputs (made on first use). */
  get logDir(): string {
    return this.files.logDir;
  }

  /** Name of the spawner in use (`launcher` or `execa`), once one was started. */
  get spawnerName(): string | undefined {
    return this.spawner?.name;
  }

  bind(host: BackendHost): void {
    this.host = host;
  }

  check(spec: Jobspec): void {
    if (spec.totalCores > this.maxCores) {
      throw new UnsatisfiableRequestError('/resources', `the job needs ${spec.totalCores} cores, the local backend has ${this.maxCores} (maxCores)`);
    }
    if (spec.gpusPerTask > 0) throw new UnsatisfiableRequestError('/resources', 'the local backend has no GPUs to allocate');
    if (spec.numNodes !== undefined && spec.numNodes > 1) throw new UnsatisfiableRequestError('/resources/0/count', `the local backend has one node, the job asks for ${spec.numNodes}`);
    checkMpi(spec);
  }

  submit(jobs: readonly JobHandle[]): void {
    let top = 0;
    for (const job of jobs) {
      this.setLocal(job, L.QUEUED);
      const urgency = this.host.urgency(job);
      this.queue.push(job, urgency);
      if (urgency > top) top = urgency;
    }
    if (top > this.lowestStandbyUrgency()) this.withdrawStandbys();
    this.drain();
  }

  cancel(job: JobHandle): void {
    const state = this.local[job];
    if (state === L.QUEUED) {
      this.local[job] = L.DONE;
      this.host.abandoned(job);
    } else if (state === L.STANDBY) {
      const run = this.running.get(job)!;
      run.terminating = true; // if a slot reaches it first, it is ended as soon as it starts
      this.withdraw(run);
    } else if (state === L.RUNNING) {
      this.terminate(job);
    } else if (this.follower.signal(job, 'SIGTERM')) {
      this.timers.push(this.killTimeout, job, K.KILL);
    }
  }

  /**
   * Signals the job's processes. For a job whose processes were asked for but not reported yet
   * (a standby just handed its slot, a spawn in flight), asks the spawner whether they exist:
   * false, and no signal, if they do not; else they get it, as soon as they exist.
   */
  kill(job: JobHandle, signal: NodeJS.Signals): boolean {
    const run = this.running.get(job);
    if (run) {
      const spawner = this.spawner!;
      if (signal === 'SIGKILL' && isMpiJob(this.host.spec(job))) killDescendants(run.pids);
      for (const pid of run.pids) spawner.kill(pid, signal, true);
      let reached = run.pids.length > 0;
      if (hasUnansweredTasks(run) && spawner.signalRequest !== undefined) {
        for (const key of run.keys) if (key >= 0 && spawner.signalRequest(key, signal)) reached = true;
      }
      return reached;
    }
    if (this.simCores.has(job)) {
      this.endSimulated(job, SIGNAL_NUMBERS[signal] ?? 15);
      return true;
    }
    return this.follower.signal(job, signal);
  }

  setUrgency(job: JobHandle, urgency: number): void {
    const state = this.local[job];
    if (state === L.STANDBY) {
      this.withdraw(this.running.get(job)!); // back to the queue, at its new urgency
      return;
    }
    if (state !== L.QUEUED) return;
    this.queue.push(job, urgency);
    if (urgency > this.lowestStandbyUrgency()) this.withdrawStandbys();
    this.drain();
  }

  outputPaths(job: JobHandle): { stdout: string; stderr: string; whenWritten: boolean } {
    const spec = this.host.spec(job);
    const whenWritten = this.outputWhenWritten(spec);
    const run = this.running.get(job);
    if (run) return { stdout: run.launch.stdout, stderr: run.launch.stderr, whenWritten };
    return { ...this.files.outputPaths(spec, this.host.jobid(job).f58), whenWritten };
  }

  /** Whether the job's output files are made only once written: default outputs of a single-task job. */
  private outputWhenWritten(spec: Jobspec): boolean {
    return this.lazyOutput && spec.numTasks === 1 && spec.stdout === undefined && spec.stderr === undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timers.clear();
    this.follower.close();
    const spawner = this.spawner;
    this.spawner = undefined;
    if (spawner) await spawner.close();
    this.files.removeTemporary();
  }

  /**
   * Ends every job process at once (the Node process is exiting). In persistent mode it does
   * nothing: the jobs outlive us, however we end, and the next owner of the store follows them.
   */
  terminateAllSync(): void {
    if (this.persistent) return;
    for (const [job, run] of this.running) {
      if (isMpiJob(this.host.spec(job))) killDescendants(run.pids); // an MPI launcher's ranks lead their own groups
      for (const pid of run.pids) signalGroup(pid, 'SIGKILL');
    }
    this.follower.signalAll('SIGKILL');
    this.files.removeTemporary();
  }

  /**
   * Takes over a job whose owner died (persistent mode). A job that never started is queued again;
   * a started one is followed: its status file decides its result once its process is gone; if
   * there is neither a live process nor a status file, its fate cannot be known (`lost`).
   */
  recover(job: JobHandle, info: RecoverInfo): void {
    const spec = this.host.spec(job);
    const f58 = this.host.jobid(job).f58;
    const pid = Number(info.nativeId);
    if (!info.allocated && !(pid > 0)) {
      this.submit([job]); // never given resources, so never spawned: just queue it
      return;
    }
    let pids = pid > 0 ? [pid] : [];
    if (pids.length === 0 && this.persistent) {
      // Resources were granted but no pid was recorded: the owner may have died after spawning the
      // task and before recording it. Its wrapper carries the job id: look for it, or for the
      // status it left (stale status files are removed before a job is allocated).
      pids = findJobProcesses(f58);
      if (pids.length === 0 && !info.started && readStatusFiles(this.logDir, f58, processCount(spec)) === undefined) {
        this.submit([job]);
        return;
      }
    } else if (pids.length === 0 && !info.started) {
      this.submit([job]);
      return;
    }
    const cores = spec.totalCores;
    this.freeCores -= cores;
    this.setLocal(job, L.NONE);
    this.follower.follow(job, { pids, f58, cores, ntasks: processCount(spec) });
    this.drain();
  }

  private followedEnded(job: JobHandle, f: FollowedJob, statuses: number[] | undefined): void {
    this.freeCores += f.cores;
    if (statuses !== undefined) {
      this.host.started(job);
      this.host.finished(job, Math.max(...statuses));
    } else if (this.requeueLost) {
      this.host.exception(job, 'lost', 1, 'its process ended with its owner and left no exit status: queued again');
      this.host.requeued(job);
      this.submit([job]);
    } else {
      this.host.exception(job, 'lost', 0, `its owner died and its process ${f.pids.join(',') || '(unknown)'} left no exit status`);
      this.host.abandoned(job);
    }
    this.drain();
  }

  // ---------------------------------------------------------------- scheduling

  private readonly isCurrent = (job: number, urgency: number): boolean => this.local[job] === L.QUEUED && this.host.urgency(job) === urgency;
  private readonly urgencyOf = (job: number): number => this.host.urgency(job);

  /** Starts queued jobs while their cores fit, highest urgency first (no backfill: order is kept). */
  private drain(): void {
    if (this.draining || this.closed) return;
    this.draining = true;
    try {
      // Standbys come first (they were the queue's head); free cores start them at once.
      const standby = this.standbys.jobs;
      for (let i = 0; i < standby.length && this.freeCores >= this.standbys.standbyClass; ) {
        const job = standby[i]!;
        const run = this.running.get(job)!;
        if (run.withdrawing) {
          i++;
          continue;
        }
        this.promote(job);
        this.spawner!.promote!(run.keys[0]!);
      }
      for (;;) {
        const job = this.queue.peek(this.isCurrent);
        if (job < 0) break;
        const spec = this.host.spec(job);
        const cores = spec.totalCores;
        if (cores > this.freeCores) break;
        this.queue.shift(this.host.urgency(job));
        this.freeCores -= cores;
        this.local[job] = L.RUNNING;
        if (spec.testRunDuration !== undefined) this.startSimulated(job, spec, cores);
        else this.startProcesses(job, spec, cores);
      }
      if (this.handoff) this.fillStandbys();
    } finally {
      this.draining = false;
    }
  }

  /** Hands the queue's next single-task jobs to the spawner as standbys (all cores are busy). */
  private fillStandbys(): void {
    for (;;) {
      const job = this.queue.peek(this.isCurrent);
      if (job < 0) return;
      const spec = this.host.spec(job);
      const cores = spec.totalCores;
      if (spec.numTasks !== 1 || spec.testRunDuration !== undefined || cores > 0xffff) return;
      if (!this.standbys.canTake(cores)) return;
      // a job that cannot start fails on the regular path, where it has its resources
      if (spec.cwd !== undefined && !isDirectory(spec.cwd)) return;
      this.queue.shift(this.host.urgency(job));
      this.local[job] = L.STANDBY;
      this.standbys.add(job, cores);
      this.startProcesses(job, spec, cores, true);
    }
  }

  /** A standby got its slot (from an exiting process at `t`, or from free cores now): it is allocated. */
  private promote(job: JobHandle, t?: number): void {
    this.standbys.remove(job);
    const run = this.running.get(job)!;
    run.withdrawing = false;
    this.freeCores -= run.cores;
    this.standbys.processAdded(run.handoff);
    this.local[job] = L.RUNNING;
    this.host.alloc(job, undefined, t);
  }

  private withdraw(run: RunningJob): void {
    if (run.withdrawing) return;
    run.withdrawing = true;
    this.spawner!.withdraw!(run.keys[0]!);
  }

  private lowestStandbyUrgency(): number {
    return this.standbys.lowestUrgency(this.urgencyOf);
  }

  /** Takes every standby back (a more urgent job must not wait behind them). */
  private withdrawStandbys(): void {
    for (const job of this.standbys.jobs) this.withdraw(this.running.get(job)!);
  }

  onWithdrawn(key: number): void {
    const job = this.slotJob[key]!;
    const rank = this.slotRank[key]!;
    this.freeSlot(key);
    const run = this.running.get(job);
    if (!run) return;
    if (this.local[job] === L.STANDBY) {
      this.standbys.remove(job);
      this.running.delete(job);
      if (run.terminating) {
        this.local[job] = L.DONE;
        this.host.abandoned(job);
      } else {
        this.local[job] = L.QUEUED;
        this.queue.putBack(job, this.host.urgency(job));
      }
      this.drain();
    } else if (this.local[job] === L.RUNNING) {
      // a task of a job being ended, taken back before it started
      run.keys[rank] = -1;
      run.withdrawn++;
      if (run.handoff > 0) this.standbys.processGone(run.handoff);
      if (allTasksDone(run)) this.finishRun(job, run);
    }
  }

  // ---------------------------------------------------------------- simulated jobs

  private startSimulated(job: JobHandle, spec: Jobspec, cores: number): void {
    const host = this.host;
    const t = now();
    host.started(job, t);
    const run = spec.testRunDuration!;
    const limit = spec.duration;
    if (limit > 0 && run > limit) {
      this.simCores.set(job, cores);
      this.timers.push(limit * 1000, job, K.TIMEOUT);
    } else if (run === 0) {
      this.local[job] = L.DONE;
      host.finished(job, 0, t);
      this.freeCores += cores;
    } else {
      this.simCores.set(job, cores);
      this.timers.push(run * 1000, job, K.SIM_END);
    }
  }

  private endSimulated(job: JobHandle, waitstatus: number): void {
    const cores = this.simCores.get(job);
    if (cores === undefined) return;
    this.simCores.delete(job);
    this.local[job] = L.DONE;
    this.host.finished(job, waitstatus);
    this.freeCores += cores;
    this.drain();
  }

  // ---------------------------------------------------------------- real processes

  private startProcesses(job: JobHandle, spec: Jobspec, cores: number, standby = false): void {
    const host = this.host;
    const f58 = host.jobid(job).f58;
    const launch = withMpiLauncher(spec, this.files.plan(spec, f58));
    const handoff = spec.numTasks === 1 && cores <= 0xffff && this.usesHandoff() ? cores : 0;
    const run = newRunningJob(cores, processCount(spec), handoff, launch);
    this.running.set(job, run);
    const lazy = this.outputWhenWritten(spec);
    if (standby) {
      this.spawnTask(job, run, 0, lazy, true);
      return;
    }
    // A requeued job keeps its id: the status files of its last run must not pass for this one's.
    if (this.persistent) removeStatusFiles(this.logDir, f58, processCount(spec));
    // alloc is recorded before anything is spawned (a store writes it synchronously)
    host.alloc(job);
    const cwd = launch.cwd;
    if (cwd !== undefined && !isDirectory(cwd)) {
      this.execFailure(job, run, `cannot start job: cwd ${cwd}: no such directory`, 127);
      return;
    }
    if (this.persistent) {
      const problem = executableProblem(launch.argv[0] ?? '', launch.env, cwd);
      if (problem) {
        this.execFailure(job, run, `cannot start task 0: ${problem.why}`, problem.code);
        return;
      }
    }
    // Every task leads its own process group (joining rank 0's would race with rank 0 exiting);
    // ending the job signals all of them. Several tasks share the output files: they are created
    // empty here once, and every task appends (spawns run in parallel, in no set order).
    if (run.ntasks > 1) {
      try {
        for (const file of new Set([launch.stdout, launch.stderr])) if (file !== '/dev/null') writeFileSync(file, '');
      } catch (error) {
        this.execFailure(job, run, `cannot create output file: ${(error as Error).message}`, 1);
        return;
      }
    }
    for (let rank = 0; rank < run.ntasks; rank++) this.spawnTask(job, run, rank, lazy);
  }

  private spawnTask(job: JobHandle, run: RunningJob, rank: number, lazyOutput: boolean, standby = false): void {
    const slot = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.slotJob.length;
    this.slotJob[slot] = job;
    this.slotRank[slot] = rank;
    run.requested++;
    run.keys[rank] = slot;
    if (!standby && run.handoff > 0) this.standbys.processAdded(run.handoff);
    const { env, cwd, stdin, stdout, stderr, f58 } = run.launch;
    const argv = this.persistent ? withStatusWrapper(run.launch.argv, this.logDir, f58, rank) : run.launch.argv;
    this.ensureSpawner().spawn({
      key: slot,
      argv,
      env,
      extraEnv: [`JOBFUTURES_JOB_ID=${f58}`, `JOBFUTURES_TASK_RANK=${rank}`, `JOBFUTURES_JOB_SIZE=${run.ntasks}`],
      ...(cwd !== undefined && { cwd }),
      ...(stdin !== undefined && { stdin }),
      stdout,
      stderr,
      pgid: 0,
      append: run.ntasks > 1,
      lazyOutput,
      handoffClass: run.handoff,
      standby,
    });
  }

  onSpawn(key: number, pid: number, t: number): void {
    const job = this.slotJob[key]!;
    const run = this.running.get(job);
    if (!run) {
      this.spawner!.kill(pid, 'SIGKILL', true);
      return;
    }
    const rank = this.slotRank[key]!;
    run.keys[rank] = -1;
    run.pids.push(pid);
    run.spawned++;
    if (run.tStart === 0 || t < run.tStart) run.tStart = t;
    if (rank === 0) this.host.setNativeId(job, String(pid));
    if (run.terminating) {
      // it was canceled while it was being started: it did run, and it is ended now
      this.spawner!.kill(pid, 'SIGTERM', true);
      this.host.started(job, run.tStart);
    } else if (run.spawned === run.ntasks) {
      this.host.started(job, run.tStart);
      const duration = this.host.spec(job).duration;
      if (duration > 0) this.timers.push(Math.max(0, duration * 1000 - (now() - run.tStart) * 1000), job, K.TIMEOUT);
    }
  }

  onSpawnError(key: number, errno: string, message: string): void {
    const job = this.slotJob[key]!;
    const rank = this.slotRank[key]!;
    this.freeSlot(key);
    const run = this.running.get(job);
    if (!run) return;
    if (this.local[job] === L.STANDBY) this.promote(job); // the launcher was lost: it fails as a started job would
    if (run.handoff > 0) this.standbys.processGone(run.handoff);
    run.keys[rank] = -1;
    run.failedSpawns++;
    const { note, code } = spawnFailure(run, rank, errno, message);
    this.execFailure(job, run, note, code);
  }

  onExit(key: number, _pid: number, waitstatus: number, t: number, handedTo?: number): void {
    const job = this.slotJob[key]!;
    this.freeSlot(key);
    // the standby its slot went to, unless free cores promoted that one already
    const heir = handedTo === undefined ? -1 : this.slotJob[handedTo]!;
    const handover = heir >= 0 && this.local[heir] === L.STANDBY ? heir : -1;
    const run = this.running.get(job);
    if (!run) {
      if (handover >= 0) this.promote(handover, t);
      return;
    }
    if (run.handoff > 0) this.standbys.processGone(run.handoff);
    run.exited++;
    if (waitstatus > run.maxStatus) run.maxStatus = waitstatus;
    if (t > run.tEnd) run.tEnd = t;
    if (allTasksDone(run)) this.finishRun(job, run, handover, t);
    else if (handover >= 0) this.promote(handover, t);
  }

  /** A task could not start: raise `exec`, end the tasks that did, finish with 126/127. */
  private execFailure(job: JobHandle, run: RunningJob, note: string, code: number): void {
    if (!run.execFailed) {
      run.execFailed = true;
      this.host.exception(job, 'exec', 0, note);
    }
    const status = code << 8;
    if (status > run.maxStatus) run.maxStatus = status;
    if (allTasksDone(run)) this.finishRun(job, run);
    else this.terminate(job);
  }

  /**
   * The job is over: it finished, or (canceled, every task withdrawn before it started) it never
   * ran. Its cores are released, or go to `heir`, a standby its process handed its slot to at `t`.
   */
  private finishRun(job: JobHandle, run: RunningJob, heir = -1, t?: number): void {
    if (this.local[job] !== L.RUNNING) {
      if (heir >= 0) this.promote(heir, t);
      return;
    }
    this.running.delete(job);
    this.local[job] = L.DONE;
    if (run.spawned === 0 && !run.execFailed) this.host.abandoned(job);
    else this.host.finished(job, run.maxStatus, run.tEnd > 0 ? run.tEnd : undefined);
    this.freeCores += run.cores;
    if (heir >= 0) this.promote(heir, t);
    this.drain();
  }

  /** SIGTERM to the job's process groups (tasks not started yet are taken back), SIGKILL after `killTimeout`. */
  private terminate(job: JobHandle): void {
    const run = this.running.get(job);
    if (!run) {
      if (this.simCores.has(job)) this.endSimulated(job, SIGNAL_NUMBERS.SIGTERM ?? 15);
      return;
    }
    if (run.terminating) return;
    run.terminating = true;
    const spawner = this.spawner!;
    for (const pid of run.pids) spawner.kill(pid, 'SIGTERM', true);
    if (spawner.withdraw !== undefined) for (const key of run.keys) if (key >= 0) spawner.withdraw(key);
    this.timers.push(this.killTimeout, job, K.KILL);
  }

  private onTimer(job: JobHandle, kind: number): void {
    if (kind === K.SIM_END) this.endSimulated(job, 0);
    else if (kind === K.TIMEOUT) {
      if (this.local[job] !== L.RUNNING) return;
      const duration = this.host.spec(job).duration;
      this.host.exception(job, 'timeout', 0, `job exceeded its duration of ${duration}s`);
      this.terminate(job);
    } else {
      const run = this.running.get(job);
      if (run && isMpiJob(this.host.spec(job))) killDescendants(run.pids);
      if (run) for (const pid of run.pids) this.spawner!.kill(pid, 'SIGKILL', true);
      this.follower.signal(job, 'SIGKILL');
    }
  }

  // ---------------------------------------------------------------- helpers

  /** Whether processes hand their slots over (decided once the spawner exists). */
  private usesHandoff(): boolean {
    this.ensureSpawner();
    return this.handoff;
  }

  private ensureSpawner(): Spawner {
    if (!this.spawner) {
      this.spawner = resolveSpawner(this.spawnerOption ?? 'auto', { keepOnParentDeath: this.persistent })(this);
      const s = this.spawner;
      this.handoff = !this.persistent && s.handoff === true && s.withdraw !== undefined && s.promote !== undefined;
    }
    return this.spawner;
  }

  private freeSlot(slot: number): void {
    this.slotJob[slot] = -1;
    this.freeSlots.push(slot);
  }

  private setLocal(job: JobHandle, state: L): void {
    if (job >= this.local.length) {
      const next = new Uint8Array(Math.max(job + 1, this.local.length * 2));
      next.set(this.local);
      this.local = next;
    }
    this.local[job] = state;
  }
}
