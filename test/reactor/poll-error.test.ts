/**
 * A failed poll is visible (an executor `poll-error` event, `lastPollError`) and never fails jobs.
 * The backend here is the smallest polling backend the contract allows: its scheduler "restarts"
 * (two polls fail), then reports the job done.
 */
import { describe, expect, it } from 'vitest';

import type { Backend, BackendHost, JobHandle } from '../../src/core/backend.js';
import { JobExecutor, Jobspec } from '../../src/index.js';

function flakyScheduler(failures: number): Backend & { polls: number } {
  let host: BackendHost;
  const jobs: JobHandle[] = [];
  const backend = {
    name: 'flaky',
    capabilities: { nativeDependencies: [], adopt: false },
    pollInterval: { min: 5, max: 20 },
    polls: 0,
    bind: (h: BackendHost) => void (host = h),
    check: () => {},
    submit: (handles: readonly JobHandle[]) => void jobs.push(...handles),
    cancel: (job: JobHandle) => host.abandoned(job),
    kill: () => false,
    setUrgency: () => {},
    outputPaths: () => ({ stdout: '/dev/null', stderr: '/dev/null' }),
    async poll(active: readonly JobHandle[]) {
      backend.polls++;
      if (backend.polls <= failures) throw new Error(`controller restarting (poll ${backend.polls})`);
      for (const job of active) host.finished(job, 0);
      return true;
    },
    close: async () => {},
  };
  return backend;
}

describe('poll errors', () => {
  it('are emitted as poll-error with a count, kept in lastPollError, and never fail the job', async () => {
    const backend = flakyScheduler(2);
    const ex = new JobExecutor({ backend });
    const seen: [string, number][] = [];
    ex.on('poll-error', (error, n) => {
      seen.push([(error as Error).message, n]);
      expect(ex.lastPollError).toBe(error);
    });
    const r = await ex.submit(Jobspec.fromCommand(['true']));
    expect(r.result).toBe('COMPLETED');
    expect(seen).toEqual([
      ['controller restarting (poll 1)', 1],
      ['controller restarting (poll 2)', 2],
    ]);
    expect(ex.lastPollError).toBeUndefined();
    await ex.shutdown();
  });
});
