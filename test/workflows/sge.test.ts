/**
 * The workflow suite (`suite.ts`) on the real Grid Engine cell (skipped with one loud line without
 * one; `describeSge` shares the cell lock). One task per job here: multi-task Grid Engine jobs
 * need MPI (not tested here).
 */
import { describeSge } from '../sge/cluster.js';
import { describeWorkflowSuite } from './suite.js';

await describeSge('workflows on Grid Engine', () => {
  describeWorkflowSuite({
    name: 'Grid Engine',
    backend: 'sge',
    appExecutorOptions: { pollInterval: { min: 200, max: 1000 } },
    nativeId: /^\d+(\.\d+)?$/,
    pointNativeId: /^\d+(\.\d+)?$/,
    crashJobSleep: 2,
    killedBySignal: (n) => -n,
    killZeroSkipsTerm: true,
    refuse: { backendOptions: { queue: 'no-such-queue' }, errorPattern: /^FAILED: \w+: .*queue/i },
  });
});
