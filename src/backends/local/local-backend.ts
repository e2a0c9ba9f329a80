import { accessSync, constants as fsConstants, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { constants as osConstants } from 'node:os';
import type { Backend, BackendCapabilities, BackendHost, JobHandle, RecoverInfo } from '../../core/backend.js';
import { UnsatisfiableRequestError } from '../../core/errors.js';
import { InvalidArgumentError } from '../../util/errors.js';
import type { Jobspec } from '../../jobspec/index.js';
import type { Spawner, SpawnerFactory, SpawnerListener } from './spawner.js';
import { resolveSpawner } from './spawners.js';
import { TimerHeap } from './timer-heap.js';
import { UrgencyQueue } from './urgency-queue.js';
import { now } from '../../util/time.js';

/** Options of {@link LocalBackend}. */
export interface LocalBackendOptions {
  /** Cores that jobs may use at once (a job needs `numTasks × coresPerTask`). Default: `os.availableParallelism()`. */
  readonly maxCores?: number;
  /** Folder for default stdout/stderr files (`<f58 id>.out|.err`) and batch scripts. Default: a new temp folder per backend, made on first use. */
  readonly logDir?: string;
  /** Milliseconds between SIGTERM and SIGKILL when a job is canceled or times out. Default 5000. */
  readonly killTimeout?: number;
  /** How processes are started: `auto` (the native launcher when built, else execa), `launcher`, `execa`, or a factory. Default `auto`. */
  readonly spawner?: 'auto' | 'launcher' | 'execa' | SpawnerFactory;
  /**
   * Jobs outlive this process: each task runs under a small `sh` wrapper that records its exit
   * status in `<logDir>/<f58>[.<rank>].status`, and jobs are not ended if this process is killed
   * with SIGKILL, so that a later executor on the same store can take them over ({@link LocalBackend.recover}).
   * Default false (the job store turns it on).
   */
  readonly persistent?: boolean;
  /** With `persistent`: a started job whose fate cannot be known is queued again instead of failing with `lost`. Default false. */
  readonly requeueLost?: boolean;
}

/**
 * The wrapper of persistent mode: runs the task as a child, records its exit status atomically, then
 * ends the way the task ended (re-raising its signal), so wait statuses stay truthful.
 */
const STATUS_WRAPPER = [
  's=$1; shift',
  'trap : TERM INT HUP USR1 USR2 QUIT ALRM',
  '"$@"',
  'rc=$?',
  'printf "%s\\n" "$rc" > "$s.tmp" && mv -f "$s.tmp" "$s"',
  'trap - TERM INT HUP USR1 USR2 QUIT ALRM',
  'if [ "$rc" -gt 128 ] && [ "$rc" -lt 160 ]; then kill -$((rc - 128)) $$; fi',
  'exit "$rc"',
].join('\n');

const enum L {
  NONE = 0,
  QUEUED = 1,
  RUNNING = 2,
  DONE = 3,
  /** Handed to the spawner ahead of time, waiting there for a slot (see "hand-off" below). */
  STANDBY = 4,
}

const enum K {
  TIMEOUT = 0,
  KILL = 1,
  SIM_END = 2,
}

/** A running job with real processes. */
interface RunningJob {
  readonly cores: number;
  readonly ntasks: number;
  readonly pids: number[];
  requested: number;
  spawned: number;
  failedSpawns: number;
  exited: number;
  maxStatus: number;
  terminating: boolean;
  execFailed: boolean;
  /** Hand-off class of its process (its cores; single-task jobs only), 0 for none. */
  readonly handoff: number;
  /** The spawner key of its (only) process while it is a standby. */
  standbyKey: number;
  /** A standby whose withdrawal was asked for (to be canceled, or to go back to the queue). */
  withdrawing: boolean;
  /** Per-task data kept until rank 0 has a pid (the other ranks join its process group). */
  readonly launch: { argv: readonly string[]; env: readonly string[]; cwd: string | undefined; stdin: string | undefined; stdout: string; stderr: string; f58: string };
}

const SIGNAL_NUMBERS = osConstants.signals as Record<string, number>;

/**
 * The embedded backend: runs jobs as local processes, fitting them into `maxCores` by urgency and
 * submit order. Each job runs in its own process group, so grandchildren end with it. Jobs with
 * `attributes.system.exec.test.run_duration` go through the whole lifecycle without a process.
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
  private logDirPath: string | undefined;
  /** The folder exists (made once, not on every job). */
  private logDirMade = false;
  private readonly envCache = new WeakMap<Jobspec, readonly string[]>();
  private inheritedEnv: readonly string[] | undefined;
  // process slots: the key a spawner echoes back
  private slotJob: number[] = [];
  private slotRank: number[] = [];
  private freeSlots: number[] = [];
  private draining = false;
  private closed = false;
  private readonly persistent: boolean;
  private readonly requeueLost: boolean;
  /** Jobs started by a process that died, followed by polling their pid and status file. */
  private readonly followed = new Map<JobHandle, { pids: number[]; f58: string; cores: number; ntasks: number }>();
  private followTimer: NodeJS.Timeout | undefined;
  // hand-off: while every core is busy, the next queued single-task jobs wait inside the spawner,
  // which starts one the moment a process of the same class (cores) exits, without a round trip
  // through this event loop. Standbys are the queue's head, taken in order, all of one class, and
  // never more than the processes of that class that can hand them a slot.
  /** Whether the spawner offers hand-off and we use it (not in persistent mode); set with the spawner. */
  private handoff = false;
  /** Standby jobs, oldest first. */
  private readonly standby: JobHandle[] = [];
  private standbyClass = 0;
  /** Processes with a hand-off class, requested or running, by class. */
  private handoffLive: number[] = [];

  constructor(options: LocalBackendOptions = {}) {
    const maxCores = options.maxCores ?? availableParallelism();
    if (!Number.isInteger(maxCores) || maxCores < 1) throw new InvalidArgumentError('opts.maxCores', `must be a positive integer, got ${String(maxCores)}`);
    const killTimeout = options.killTimeout ?? 5000;
    if (!(killTimeout >= 0) || !Number.isFinite(killTimeout)) throw new InvalidArgumentError('opts.killTimeout', `must be a non-negative number of ms, got ${String(killTimeout)}`);
    this.maxCores = maxCores;
    this.freeCores = maxCores;
    this.killTimeout = killTimeout;
    this.logDirPath = options.logDir;
    this.spawnerOption = options.spawner;
    this.persistent = options.persistent ?? false;
    this.requeueLost = options.requeueLost ?? false;
    this.timers = new TimerHeap((job, kind) => this.onTimer(job, kind));
  }

  /** The folder for default outputs (made on first use). */
  get logDir(): string {
    if (!this.logDirMade) {
      if (this.logDirPath === undefined) this.logDirPath = mkdtempSync(path.join(tmpdir(), 'jobfutures-'));
      else mkdirSync(this.logDirPath, { recursive: true });
      this.logDirMade = true;
    }
    return this.logDirPath!;
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
    } else if (this.followed.has(job)) {
      for (const pid of this.followed.get(job)!.pids) signalGroup(pid, 'SIGTERM');
      this.timers.push(this.killTimeout, job, K.KILL);
    }
  }

  kill(job: JobHandle, signal: NodeJS.Signals): void {
    const run = this.running.get(job);
    if (run) {
      for (const pid of run.pids) this.spawner!.kill(pid, signal, true);
    } else if (this.simCores.has(job)) {
      this.endSimulated(job, SIGNAL_NUMBERS[signal] ?? 15);
    } else if (this.followed.has(job)) {
      for (const pid of this.followed.get(job)!.pids) signalGroup(pid, signal);
    }
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

  outputPaths(job: JobHandle): { stdout: string; stderr: string } {
    const run = this.running.get(job);
    if (run) return { stdout: run.launch.stdout, stderr: run.launch.stderr };
    const spec = this.host.spec(job);
    const f58 = this.host.jobid(job).f58;
    return this.pathsFor(spec, f58);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timers.clear();
    if (this.followTimer) clearInterval(this.followTimer);
    const spawner = this.spawner;
    this.spawner = undefined;
    if (spawner) await spawner.close();
  }

  /** Ends every job process at once (the Node process is exiting). */
  terminateAllSync(): void {
    for (const run of this.running.values()) for (const pid of run.pids) signalGroup(pid, 'SIGKILL');
    for (const f of this.followed.values()) for (const pid of f.pids) signalGroup(pid, 'SIGKILL');
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
      if (pids.length === 0 && !info.started && readStatusFiles(this.logDir, f58, spec.numTasks) === undefined) {
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
    this.followed.set(job, { pids, f58, cores, ntasks: spec.numTasks });
    this.followTimer ??= setInterval(() => this.checkFollowed(), 100);
    this.checkFollowed();
  }

  private checkFollowed(): void {
    for (const [job, f] of this.followed) {
      const alive = f.pids.some((pid) => isJobProcess(pid, f.f58));
      if (alive) continue;
      this.followed.delete(job);
      const statuses = readStatusFiles(this.logDir, f.f58, f.ntasks);
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
    }
    if (this.followed.size === 0 && this.followTimer) {
      clearInterval(this.followTimer);
      this.followTimer = undefined;
    }
    this.drain();
  }

  // ---------------------------------------------------------------- scheduling

  private readonly isCurrent = (job: number, urgency: number): boolean => this.local[job] === L.QUEUED && this.host.urgency(job) === urgency;

  /** Starts queued jobs while their cores fit, highest urgency first (no backfill: order is kept). */
  private drain(): void {
    if (this.draining || this.closed) return;
    this.draining = true;
    try {
      // Standbys come first (they were the queue's head); free cores start them at once.
      for (let i = 0; i < this.standby.length && this.freeCores >= this.standbyClass; ) {
        const job = this.standby[i]!;
        const run = this.running.get(job)!;
        if (run.withdrawing) {
          i++;
          continue;
        }
        this.promote(job);
        this.spawner!.promote!(run.standbyKey);
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
      if (this.standby.length > 0 && cores !== this.standbyClass) return;
      if (this.standby.length >= (this.handoffLive[cores] ?? 0)) return;
      // a job that cannot start fails on the regular path, where it has its resources
      if (spec.cwd !== undefined && !isDirectory(spec.cwd)) return;
      const urgency = this.host.urgency(job);
      this.queue.shift(urgency);
      this.local[job] = L.STANDBY;
      this.standby.push(job);
      this.standbyClass = cores;
      this.startProcesses(job, spec, cores, true);
    }
  }

  /** A standby got its slot (from an exiting process, or from free cores): it is allocated. */
  private promote(job: JobHandle): void {
    this.standby.splice(this.standby.indexOf(job), 1);
    const run = this.running.get(job)!;
    run.withdrawing = false;
    this.freeCores -= run.cores;
    this.handoffLive[run.handoff] = (this.handoffLive[run.handoff] ?? 0) + 1;
    this.local[job] = L.RUNNING;
    this.host.alloc(job);
  }

  private withdraw(run: RunningJob): void {
    if (run.withdrawing) return;
    run.withdrawing = true;
    this.spawner!.withdraw!(run.standbyKey);
  }

  /** The urgency of the newest standby (the lowest: they were taken in queue order); 0 without any. */
  private lowestStandbyUrgency(): number {
    const n = this.standby.length;
    return n === 0 ? 0 : this.host.urgency(this.standby[n - 1]!);
  }

  /** Takes every standby back (a more urgent job must not wait behind them). */
  private withdrawStandbys(): void {
    for (const job of this.standby) this.withdraw(this.running.get(job)!);
  }

  onWithdrawn(key: number): void {
    const job = this.slotJob[key]!;
    this.freeSlot(key);
    if (this.local[job] !== L.STANDBY) return;
    const run = this.running.get(job)!;
    this.standby.splice(this.standby.indexOf(job), 1);
    this.running.delete(job);
    if (run.terminating) {
      this.local[job] = L.DONE;
      this.host.abandoned(job);
    } else {
      this.local[job] = L.QUEUED;
      this.queue.putBack(job, this.host.urgency(job));
    }
    this.drain();
  }

  private release(cores: number): void {
    this.freeCores += cores;
    this.drain();
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
    this.release(cores);
  }

  // ---------------------------------------------------------------- real processes

  private startProcesses(job: JobHandle, spec: Jobspec, cores: number, standby = false): void {
    const host = this.host;
    const f58 = host.jobid(job).f58;
    const cwd = spec.cwd;
    const { stdout, stderr } = this.pathsFor(spec, f58);
    const stdin = spec.stdin === undefined ? undefined : path.resolve(cwd ?? process.cwd(), expandTemplate(spec.stdin, f58, spec));
    let argv = spec.command;
    if (spec.files) argv = this.writeFiles(spec, f58, argv);
    const run: RunningJob = {
      cores,
      ntasks: spec.numTasks,
      pids: [],
      requested: 0,
      spawned: 0,
      failedSpawns: 0,
      exited: 0,
      maxStatus: 0,
      terminating: false,
      execFailed: false,
      handoff: spec.numTasks === 1 && cores <= 0xffff && this.usesHandoff() ? cores : 0,
      standbyKey: -1,
      withdrawing: false,
      launch: { argv, env: this.envFor(spec), cwd, stdin, stdout, stderr, f58 },
    };
    this.running.set(job, run);
    if (standby) {
      this.spawnTask(job, run, 0, true);
      return;
    }
    // A requeued job keeps its id: the status files of its last run must not pass for this one's.
    if (this.persistent) removeStatusFiles(this.logDir, f58, spec.numTasks);
    // alloc is recorded before anything is spawned (a store writes it synchronously)
    host.alloc(job);
    if (cwd !== undefined && !isDirectory(cwd)) {
      this.execFailure(job, run, `cannot start job: cwd ${cwd}: no such directory`, 127);
      return;
    }
    if (this.persistent) {
      const problem = executableProblem(argv[0] ?? '', run.launch.env, cwd);
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
        for (const file of new Set([stdout, stderr])) if (file !== '/dev/null') writeFileSync(file, '');
      } catch (error) {
        this.execFailure(job, run, `cannot create output file: ${(error as Error).message}`, 1);
        return;
      }
    }
    for (let rank = 0; rank < run.ntasks; rank++) this.spawnTask(job, run, rank);
  }

  private spawnTask(job: JobHandle, run: RunningJob, rank: number, standby = false): void {
    const slot = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.slotJob.length;
    this.slotJob[slot] = job;
    this.slotRank[slot] = rank;
    run.requested++;
    if (standby) run.standbyKey = slot;
    else if (run.handoff > 0) this.handoffLive[run.handoff] = (this.handoffLive[run.handoff] ?? 0) + 1;
    const { env, cwd, stdin, stdout, stderr, f58 } = run.launch;
    let argv = run.launch.argv;
    if (this.persistent) argv = ['/bin/sh', '-c', STATUS_WRAPPER, 'jobf-wrap', statusFile(this.logDir, f58, rank), ...argv];
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
      handoffClass: run.handoff,
      standby,
    });
  }

  onSpawn(key: number, pid: number): void {
    const job = this.slotJob[key]!;
    const run = this.running.get(job);
    if (!run) {
      this.spawner!.kill(pid, 'SIGKILL', true);
      return;
    }
    const rank = this.slotRank[key]!;
    run.pids.push(pid);
    run.spawned++;
    if (rank === 0) this.host.setNativeId(job, String(pid));
    if (run.terminating) this.spawner!.kill(pid, 'SIGTERM', true);
    else if (run.spawned === run.ntasks) {
      this.host.started(job);
      const duration = this.host.spec(job).duration;
      if (duration > 0) this.timers.push(duration * 1000, job, K.TIMEOUT);
    }
  }

  onSpawnError(key: number, errno: string, message: string): void {
    const job = this.slotJob[key]!;
    this.freeSlot(key);
    const run = this.running.get(job);
    if (!run) return;
    if (this.local[job] === L.STANDBY) this.promote(job); // the launcher was lost: it fails as a started job would
    if (run.handoff > 0) this.handoffLive[run.handoff]!--;
    run.failedSpawns++;
    const argv0 = run.launch.argv[0] ?? '';
    const code = errno === 'EACCES' || errno === 'EPERM' ? 126 : 127;
    const why =
      errno.endsWith(':cwd') || errno === 'ENOTDIR'
        ? `cwd ${run.launch.cwd ?? ''}: ${message}`
        : errno === 'ENOENT'
          ? `${argv0}: command not found`
          : errno === 'EACCES'
            ? `${argv0}: permission denied`
            : `${argv0}: ${message} (${errno})`;
    this.execFailure(job, run, `cannot start task ${this.slotRank[key]}: ${why}`, code);
  }

  onExit(key: number, _pid: number, waitstatus: number, handedTo?: number): void {
    const job = this.slotJob[key]!;
    this.freeSlot(key);
    // the standby its slot went to, unless free cores promoted that one already
    const heir = handedTo === undefined ? -1 : this.slotJob[handedTo]!;
    const handover = heir >= 0 && this.local[heir] === L.STANDBY ? heir : -1;
    const run = this.running.get(job);
    if (!run) {
      if (handover >= 0) this.promote(handover);
      return;
    }
    if (run.handoff > 0) this.handoffLive[run.handoff]!--;
    run.exited++;
    if (waitstatus > run.maxStatus) run.maxStatus = waitstatus;
    if (this.allTasksDone(run)) this.finishRun(job, run, handover);
    else if (handover >= 0) this.promote(handover);
  }

  /** A task could not start: raise `exec`, end the tasks that did, finish with 126/127. */
  private execFailure(job: JobHandle, run: RunningJob, note: string, code: number): void {
    if (!run.execFailed) {
      run.execFailed = true;
      this.host.exception(job, 'exec', 0, note);
    }
    const status = code << 8;
    if (status > run.maxStatus) run.maxStatus = status;
    if (this.allTasksDone(run)) this.finishRun(job, run);
    else this.terminate(job);
  }

  /** Every task that was asked for has ended or failed to start, and no more will be asked for. */
  private allTasksDone(run: RunningJob): boolean {
    return run.exited + run.failedSpawns === run.requested && (run.requested === run.ntasks || run.execFailed);
  }

  /** The job is over; its cores are released, or go to `heir` (a standby its process handed its slot to). */
  private finishRun(job: JobHandle, run: RunningJob, heir = -1): void {
    if (this.local[job] !== L.RUNNING) {
      if (heir >= 0) this.promote(heir);
      return;
    }
    this.running.delete(job);
    this.local[job] = L.DONE;
    this.host.finished(job, run.maxStatus);
    this.freeCores += run.cores;
    if (heir >= 0) this.promote(heir);
    this.drain();
  }

  /** SIGTERM to the job's process groups, SIGKILL after `killTimeout`. */
  private terminate(job: JobHandle): void {
    const run = this.running.get(job);
    if (!run) {
      if (this.simCores.has(job)) this.endSimulated(job, SIGNAL_NUMBERS.SIGTERM ?? 15);
      return;
    }
    if (run.terminating) return;
    run.terminating = true;
    for (const pid of run.pids) this.spawner!.kill(pid, 'SIGTERM', true);
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
      if (run) for (const pid of run.pids) this.spawner!.kill(pid, 'SIGKILL', true);
      const followed = this.followed.get(job);
      if (followed) for (const pid of followed.pids) signalGroup(pid, 'SIGKILL');
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

  private pathsFor(spec: Jobspec, f58: string): { stdout: string; stderr: string } {
    const base = spec.cwd ?? process.cwd();
    const stdout = spec.stdout === undefined ? path.join(this.logDir, `${f58}.out`) : path.resolve(base, expandTemplate(spec.stdout, f58, spec));
    const stderr = spec.stderr === undefined ? (spec.stdout === undefined ? path.join(this.logDir, `${f58}.err`) : stdout) : path.resolve(base, expandTemplate(spec.stderr, f58, spec));
    return { stdout, stderr };
  }

  /** Writes the jobspec's files (a batch script) to `<logDir>/<f58>.d/` and substitutes `{{tmpdir}}`. */
  private writeFiles(spec: Jobspec, f58: string, argv: readonly string[]): readonly string[] {
    const dir = path.join(this.logDir, `${f58}.d`);
    mkdirSync(dir, { recursive: true });
    for (const [name, file] of Object.entries(spec.files!)) {
      writeFileSync(path.join(dir, name), file.data, { mode: file.mode ?? 0o600 });
    }
    return argv.map((a) => a.replaceAll('{{tmpdir}}', dir));
  }

  private envFor(spec: Jobspec): readonly string[] {
    const environment = spec.environment;
    if (environment === undefined) {
      this.inheritedEnv ??= toEnvList(process.env);
      return this.inheritedEnv;
    }
    let env = this.envCache.get(spec);
    if (!env) this.envCache.set(spec, (env = toEnvList(environment)));
    return env;
  }
}

function toEnvList(env: Readonly<Record<string, string | undefined>>): string[] {
  const out: string[] = [];
  for (const key of Object.keys(env)) {
    const value = env[key];
    if (value !== undefined) out.push(`${key}=${value}`);
  }
  return out;
}

/** Expands Flux's `{{id}}` and `{{name}}` output templates. */
export function expandTemplate(template: string, f58: string, spec: Jobspec): string {
  if (!template.includes('{{')) return template;
  return template.replaceAll('{{id}}', f58).replaceAll('{{name}}', spec.name ?? path.basename(spec.command[0] ?? 'job'));
}

function statusFile(logDir: string, f58: string, rank: number): string {
  return path.join(logDir, rank === 0 ? `${f58}.status` : `${f58}.${rank}.status`);
}

/** The wait statuses the wrapper recorded for every task, or undefined if any is missing. */
function readStatusFiles(logDir: string, f58: string, ntasks: number): number[] | undefined {
  const out: number[] = [];
  for (let rank = 0; rank < ntasks; rank++) {
    let text: string;
    try {
      text = readFileSync(statusFile(logDir, f58, rank), 'utf8');
    } catch {
      return undefined;
    }
    const rc = Number(text.trim());
    if (!Number.isInteger(rc)) return undefined;
    out.push(rc > 128 && rc < 160 ? rc - 128 : rc << 8);
  }
  return out;
}

/**
 * Whether a job that was allocated by a process which died left a sign of having been started: a
 * live process of its own, or the exit status its wrapper records (persistent mode, logs in
 * `logDir`). {@link LocalBackend.recover} follows such a job and runs the others again.
 */
export function hasStartedTrace(logDir: string, f58: string, ntasks: number): boolean {
  return findJobProcesses(f58).length > 0 || readStatusFiles(logDir, f58, ntasks) !== undefined;
}

function removeStatusFiles(logDir: string, f58: string, ntasks: number): void {
  for (let rank = 0; rank < ntasks; rank++) rmSync(statusFile(logDir, f58, rank), { force: true });
}

/** Live process group leaders that belong to the job (their environment names it). */
function findJobProcesses(f58: string): number[] {
  const out: number[] = [];
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pid) continue; // field 5: the process group
      if (isJobProcess(pid, f58)) out.push(pid);
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

/** Whether `pid` is alive and is still this job's process (not a recycled pid). */
function isJobProcess(pid: number, f58: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`JOBFUTURES_JOB_ID=${f58}\0`) && !isZombie(pid);
  } catch {
    return false;
  }
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.charAt(stat.lastIndexOf(')') + 2) === 'Z';
  } catch {
    return true;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Why `argv0` cannot be executed with this environment's PATH, or undefined if it can. */
function executableProblem(argv0: string, env: readonly string[], cwd: string | undefined): { why: string; code: number } | undefined {
  const candidates: string[] = [];
  if (argv0.includes('/')) candidates.push(path.resolve(cwd ?? process.cwd(), argv0));
  else {
    const pathVar = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? '/usr/bin:/bin';
    for (const dir of pathVar.split(':')) candidates.push(path.resolve(cwd ?? process.cwd(), dir || '.', argv0));
  }
  let sawFile = false;
  for (const file of candidates) {
    try {
      if (!statSync(file).isFile()) continue;
      sawFile = true;
      accessSync(file, fsConstants.X_OK);
      return undefined;
    } catch {
      // next candidate
    }
  }
  return sawFile ? { why: `${argv0}: permission denied`, code: 126 } : { why: `${argv0}: command not found`, code: 127 };
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
