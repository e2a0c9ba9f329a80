/**
 * The local backend's plug-in: jobs run as processes on this machine, queued in a store by
 * `jobf submit` until `jobf execute` runs them.
 */
import { readFileSync } from 'node:fs';

import type { BackendPlugin } from '../../core/plugin.js';
import { LocalBackend, hasStartedTrace, type LocalBackendOptions } from './local-backend.js';

/** Whether `pid` is alive and is the job's own process (its environment names the job), on Linux. */
export function isJobProcess(pid: number, f58: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`JOBFUTURES_JOB_ID=${f58}\0`);
  } catch {
    return false;
  }
}

/** The local backend's plug-in. */
export const localPlugin: BackendPlugin<LocalBackendOptions> = {
  name: 'local',
  summary: 'processes on this machine (the default)',
  create: (options) => new LocalBackend(options),
  submitsAtOnce: false,
  mayExist(job, logDir) {
    if (job.nativeId !== undefined || job.tRun !== undefined) return true;
    // Allocated, but the owner died before it recorded the pid: was the job started?
    return (job.state === 'RUN' || job.state === 'CLEANUP') && hasStartedTrace(logDir, job.f58, job.numTasks);
  },
  signalStored(job, signal) {
    const pid = Number(job.nativeId);
    if (!(pid > 0) || !isJobProcess(pid, job.f58)) return Promise.resolve(false);
    try {
      process.kill(-pid, signal);
      return Promise.resolve(true);
    } catch {
      return Promise.resolve(false); // ended meanwhile
    }
  },
};
