/**
 * Persistent mode of the local backend (a job store): tasks run under a small `sh` wrapper that
 * records their exit status in a file, so that a job outlives its owner and a later owner can tell
 * how it ended; and the following of such jobs, taken over from a dead owner, until they end.
 */
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { JobHandle } from '../../core/backend.js';

/**
 * The wrapper: runs the task as a child, records its exit status atomically, then ends the way the
 * task ended (re-raising its signal), so wait statuses stay truthful.
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

/** `argv` run under the status wrapper, which records task `rank`'s exit status in its status file. */
export function withStatusWrapper(argv: readonly string[], logDir: string, f58: string, rank: number): string[] {
  return ['/bin/sh', '-c', STATUS_WRAPPER, 'jobf-wrap', statusFile(logDir, f58, rank), ...argv];
}

function statusFile(logDir: string, f58: string, rank: number): string {
  return path.join(logDir, rank === 0 ? `${f58}.status` : `${f58}.${rank}.status`);
}

/** The wait statuses the wrapper recorded for every task, or undefined if any is missing. */
export function readStatusFiles(logDir: string, f58: string, ntasks: number): number[] | undefined {
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

/** Removes the status files of a job's last run (a requeued job keeps its id). */
export function removeStatusFiles(logDir: string, f58: string, ntasks: number): void {
  for (let rank = 0; rank < ntasks; rank++) rmSync(statusFile(logDir, f58, rank), { force: true });
}

/**
 * Whether a job that was allocated by a process which died left a sign of having been started: a
 * live process of its own, or the exit status its wrapper records (persistent mode, logs in
 * `logDir`). {@link LocalBackend.recover} follows such a job and runs the others again.
 */
export function hasStartedTrace(logDir: string, f58: string, ntasks: number): boolean {
  return findJobProcesses(f58).length > 0 || readStatusFiles(logDir, f58, ntasks) !== undefined;
}

/** Live process group leaders that belong to the job (their environment names it). */
export function findJobProcesses(f58: string): number[] {
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

/** Signals a process group; never throws for a gone one. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** A job started by an owner that died, followed through its pids and status files. */
export interface FollowedJob {
  readonly pids: readonly number[];
  readonly f58: string;
  readonly cores: number;
  readonly ntasks: number;
}

/**
 * Follows jobs whose processes were started by another (dead) owner: polls every 100 ms whether
 * any of their processes still lives; once none does, reports the statuses their wrappers recorded
 * (undefined when any is missing: the job's fate cannot be known).
 */
export class JobFollower {
  private readonly jobs = new Map<JobHandle, FollowedJob>();
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param logDir where the status files are.
   * @param ended called once per job, when its processes are gone.
   */
  constructor(
    private readonly logDir: () => string,
    private readonly ended: (job: JobHandle, f: FollowedJob, statuses: number[] | undefined) => void,
  ) {}

  /** Starts following `job` (checked at once, then every 100 ms). */
  follow(job: JobHandle, f: FollowedJob): void {
    this.jobs.set(job, f);
    this.timer ??= setInterval(() => this.check(), 100);
    this.check();
  }

  /** Whether `job` is being followed. */
  has(job: JobHandle): boolean {
    return this.jobs.has(job);
  }

  /** Signals the followed job's process groups; false if it is not followed. */
  signal(job: JobHandle, signal: NodeJS.Signals): boolean {
    const f = this.jobs.get(job);
    if (!f) return false;
    for (const pid of f.pids) signalGroup(pid, signal);
    return true;
  }

  /** Signals every followed job. */
  signalAll(signal: NodeJS.Signals): void {
    for (const job of this.jobs.keys()) this.signal(job, signal);
  }

  /** Stops polling. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    for (const [job, f] of this.jobs) {
      if (f.pids.some((pid) => isJobProcess(pid, f.f58))) continue;
      this.jobs.delete(job);
      this.ended(job, f, readStatusFiles(this.logDir(), f.f58, f.ntasks));
    }
    if (this.jobs.size === 0) this.close();
  }
}
