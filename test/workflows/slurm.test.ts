/**
 * The workflow suite (`suite.ts`) on a real Slurm cluster (skipped with one loud line without
 * one), sharing the cluster with the other test files; and pollingLoop on an MPI launch.
 */
import { join } from 'node:path';

import { afterAll, beforeAll, it } from 'vitest';

import { JobExecutor } from '../../src/executor/index.js';
import { describeSlurm, shareCluster } from '../slurm/cluster.js';
import { tempDir } from '../store/helpers.js';
import { describeWorkflowSuite, pollingLoopKillsMpiRanks } from './suite.js';

describeSlurm('workflows on Slurm', () => {
  let release: (() => void) | undefined;
  beforeAll(async () => {
    release = await shareCluster();
  }, 320_000);
  afterAll(() => release?.());

  describeWorkflowSuite({
    name: 'Slurm',
    backend: 'slurm',
    appExecutorOptions: { pollInterval: { min: 200, max: 1000 } },
    nativeId: /^\d+$/,
    pointNativeId: /^\d+(_\d+)?$/, // points of one shape go out as one array
    crashJobSleep: 1,
    killedBySignal: (n) => -n,
    // Slurm turns `scancel --signal=KILL` into its termination sequence (SIGTERM, SIGKILL after
    // KillWait), so with waitTime 0 the trap may still run there: only the end by SIGKILL is checked.
    killZeroSkipsTerm: false,
    refuse: { backendOptions: { partition: 'no-such-partition' }, errorPattern: /^FAILED: \w+: .*partition/i },
  });

  it('app registry: pollingLoop kills an MPI launch (4 ranks, Open MPI) on its timeout, leaving no rank', async () => {
    const { dir, cleanup } = tempDir('jobf-apps-slurm-');
    try {
      await using ex = new JobExecutor({ backend: 'slurm', logDir: join(dir, 'logs'), pollInterval: { min: 200, max: 1000 } });
      await pollingLoopKillsMpiRanks(ex, join(dir, 'work'));
    } finally {
      cleanup();
    }
  }, 180_000);
});
