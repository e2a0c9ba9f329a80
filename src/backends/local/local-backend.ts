/**
 * {@link LocalBackend}: the embedded backend's processes (and simulated jobs) on the scheduling of
 * {@link LocalScheduler}: spawning tasks, the spawner's reports, time limits, cancel and kill,
 * and taking over the jobs of a dead owner (persistent mode).
 */
import { writeFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import type { Backend, BackendCapabilities, JobHandle, RecoverInfo } from '../../core/backend.js';
import { UnsatisfiableRequestError } from '../../core/errors.js';
import type { Jobspec } from '../../jobspec/index.js';
import { now } from '../../util/time.js';
import { JobFiles, executableProblem, isDirectory } from './job-files.js';
import { checkLocalOptions, type LocalBackendOptions } from './local-options.js';
import { LocalPhase, LocalScheduler } from './local-scheduler.js';
import { checkMpi, isMpiJob, killDescendants, processCount, withMpiLauncher } from './mpi-launch.js';
import { JobFollower, findJobProcesses, readStatusFiles, removeStatusFiles, signalGroup, withStatusWrapper, type FollowedJob } from './persistence.js';
import { allTasksDone, hasUnansweredTasks, newRunningJob, spawnFailure, type RunningJob } from './running-job.js';
import type { Spawner, SpawnerListener } from './spawner.js';
import { resolveSpawner } from './spawners.js';
import { TaskSlots } from './task-slots.js';
import { TimerHeap } from './timer-heap.js';

export { expandTemplate } from './job-files.js';
export { hasStartedTrace } from './persistence.js';
export type { LocalBackendOptions } from './local-options.js';

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
export class LocalBackend extends LocalScheduler implements Backend, SpawnerListener {
  readonly name = 'local';
  readonly capabilities: BackendCapabilities = { nativeDependencies: [], adopt: false };
  /** Milliseconds between SIGTERM and SIGKILL. */
  readonly killTimeout: number;
  /** Cores held by simulated jobs that are running (they have no RunningJob). */
  private readonly simCores = new Map<JobHandle, number>();
  private readonly timers: TimerHeap;
  private readonly spawnerOption: LocalBackendOptions['spawner'];
  private readonly files: JobFiles;
  /** The key a spawner echoes back for each task. */
  private readonly slots = new TaskSlots();
  private readonly persistent: boolean;
  /** Default output files are made once written (see {@link LocalBackendOptions.lazyOutput}). */
  private readonly lazyOutput: boolean;
  private readonly requeueLost: boolean;
  /** Jobs started by an owner that died. */
  private readonly follower: JobFollower;

  constructor(options: LocalBackendOptions = {}) {
    const checked = checkLocalOptions(options);
    super(checked.maxCores);
    this.killTimeout = checked.killTimeout;
    this.files = new JobFiles(options.logDir);
    this.spawnerOption = options.spawner;
    this.persistent = checked.persistent;
    this.lazyOutput = checked.lazyOutput;
    this.requeueLost = checked.requeueLost;
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

  check(spec: Jobspec): void {
    if (spec.totalCores > this.maxCores) {
      throw new UnsatisfiableRequestError('/resources', `the job needs ${spec.totalCores} cores, the local backend has ${this.maxCores} (maxCores)`);
    }
    if (spec.gpusPerTask > 0) throw new UnsatisfiableRequestError('/resources', 'the local backend has no GPUs to allocate');
    if (spec.numNodes !== undefined && spec.numNodes > 1) throw new UnsatisfiableRequestError('/resources/0/count', `the local backend has one node, the job asks for ${spec.numNodes}`);
    checkMpi(spec);
  }

  cancel(job: JobHandle): void {
    const state = this.local[job];
    if (state === LocalPhase.QUEUED) {
      this.local[job] = LocalPhase.DONE;
      this.host.abandoned(job);
    } else if (state === LocalPhase.STANDBY) {
      const run = this.running.get(job)!;
      run.terminating = true; // if a slot reaches it first, it is ended as soon as it starts
      this.withdraw(run);
    } else if (state === LocalPhase.RUNNING) {
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
    this.setLocal(job, LocalPhase.NONE);
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

  onWithdrawn(key: number): void {
    const job = this.slots.job(key);
    const rank = this.slots.rank(key);
    this.slots.free(key);
    const run = this.running.get(job);
    if (!run) return;
    if (this.local[job] === LocalPhase.STANDBY) {
      this.standbys.remove(job);
      this.running.delete(job);
      if (run.terminating) {
        this.local[job] = LocalPhase.DONE;
        this.host.abandoned(job);
      } else {
        this.local[job] = LocalPhase.QUEUED;
        this.queue.putBack(job, this.host.urgency(job));
      }
      this.drain();
    } else if (this.local[job] === LocalPhase.RUNNING) {
      // a task of a job being ended, taken back before it started
      run.keys[rank] = -1;
      run.withdrawn++;
      if (run.handoff > 0) this.standbys.processGone(run.handoff);
      if (allTasksDone(run)) this.finishRun(job, run);
    }
  }

  // ---------------------------------------------------------------- simulated jobs

  protected override startSimulated(job: JobHandle, spec: Jobspec, cores: number): void {
    const host = this.host;
    const t = now();
    host.started(job, t);
    const run = spec.testRunDuration!;
    const limit = spec.duration;
    if (limit > 0 && run > limit) {
      this.simCores.set(job, cores);
      this.timers.push(limit * 1000, job, K.TIMEOUT);
    } else if (run === 0) {
      this.local[job] = LocalPhase.DONE;
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
    this.local[job] = LocalPhase.DONE;
    this.host.finished(job, waitstatus);
    this.freeCores += cores;
    this.drain();
  }

  // ---------------------------------------------------------------- real processes

  protected override startProcesses(job: JobHandle, spec: Jobspec, cores: number, standby = false): void {
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
    if (this.persistent) removeStatusFiles(this.logDir, f58, run.ntasks);
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
    const slot = this.slots.take(job, rank);
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
    const job = this.slots.job(key);
    const run = this.running.get(job);
    if (!run) {
      this.spawner!.kill(pid, 'SIGKILL', true);
      return;
    }
    const rank = this.slots.rank(key);
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
    const job = this.slots.job(key);
    const rank = this.slots.rank(key);
    this.slots.free(key);
    const run = this.running.get(job);
    if (!run) return;
    if (this.local[job] === LocalPhase.STANDBY) this.promote(job); // the launcher was lost: it fails as a started job would
    if (run.handoff > 0) this.standbys.processGone(run.handoff);
    run.keys[rank] = -1;
    run.failedSpawns++;
    const { note, code } = spawnFailure(run, rank, errno, message);
    this.execFailure(job, run, note, code);
  }

  onExit(key: number, _pid: number, waitstatus: number, t: number, handedTo?: number): void {
    const job = this.slots.job(key);
    this.slots.free(key);
    // the standby its slot went to, unless free cores promoted that one already
    const heir = handedTo === undefined ? -1 : this.slots.job(handedTo);
    const handover = heir >= 0 && this.local[heir] === LocalPhase.STANDBY ? heir : -1;
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
    if (this.local[job] !== LocalPhase.RUNNING) {
      if (heir >= 0) this.promote(heir, t);
      return;
    }
    this.running.delete(job);
    this.local[job] = LocalPhase.DONE;
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
      if (this.local[job] !== LocalPhase.RUNNING) return;
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
}
