/**
 * The workflow suite (`suite.ts`) on the real Flux instance (skipped with one loud line without
 * one); and the app registry's multi-task launches there. The jobs' tasks get Flux's own FLUX_*
 * variables (not JOBFUTURES_*). No refused-job test: Flux's submission refusals are not provoked here.
 */
import { join } from 'node:path';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { JobExecutor } from '../../src/executor/index.js';
import { AppRegistry, pollingLoop } from '../../src/workflows/apps/index.js';
import { describeFlux } from '../flux/instance.js';
import { waitFor } from '../behaviour/helpers.js';
import { tempDir } from '../store/helpers.js';
import { processesWith } from './helpers.js';
import { describeWorkflowSuite, pollingLoopKillsMpiRanks } from './suite.js';

describeFlux('workflows on Flux', (inst) => {
  describeWorkflowSuite({
    name: 'Flux',
    backend: 'flux',
    backendOptions: { uri: inst.uri },
    env: { FLUX_URI: inst.uri },
    nativeId: /^ƒ\w+$/,
    pointNativeId: /^ƒ\w+$/,
    crashJobSleep: 2,
    // Flux's job shell reports a task killed by signal N as exit status 128+N (not -N)
    killedBySignal: (n) => 128 + n,
    killZeroSkipsTerm: true,
  });

  let base = '';
  let cleanup = (): void => {};
  beforeAll(() => void ({ dir: base, cleanup } = tempDir('jobf-wf-flux-multi-')));
  afterAll(() => cleanup());

  it('app registry: independent tasks (numProcs 3, mpi false) see FLUX_TASK_RANK; pollingLoop kills 4 tasks on its timeout, leaving none', async () => {
    await using ex = new JobExecutor({ backend: 'flux', uri: inst.uri, logDir: join(base, 'app-logs-multi') });
    const apps = new AppRegistry(ex, { workdir: join(base, 'work-multi'), mpi: false });
    apps.register('sh', { fullPath: '/bin/sh' });
    const ranks = apps.launch('sh', { numProcs: 3, appArgs: ['-c', 'echo "rank $FLUX_TASK_RANK of $FLUX_JOB_SIZE"'] });
    expect((await ranks).result).toBe('COMPLETED');
    expect((await ranks.readStdout()).split('\n').filter((l) => l !== '').sort()).toEqual(['rank 0 of 3', 'rank 1 of 3', 'rank 2 of 3']);

    const marker = `${600 + Math.random()}`;
    apps.register('sleep', { fullPath: '/bin/sleep' });
    const task = apps.launch('sleep', { numProcs: 4, appArgs: [marker] });
    await waitFor(() => processesWith(marker).length >= 4, 120_000, '4 tasks');
    const out = await pollingLoop(task, { timeout: 0 });
    expect(out.status).toBe('KILLED_ON_TIMEOUT');
    expect(out.state).toBe('USER_KILLED');
    await waitFor(() => processesWith(marker).length === 0, 30_000, 'no task left');
  }, 300_000);

  it('app registry: pollingLoop kills an MPI launch (4 ranks, Open MPI) on its timeout, leaving no rank', async () => {
    await using ex = new JobExecutor({ backend: 'flux', uri: inst.uri, logDir: join(base, 'app-logs-mpi') });
    await pollingLoopKillsMpiRanks(ex, join(base, 'work-mpi'));
  }, 300_000);
});
