import { randomUUID } from 'node:crypto';
import { JobExecutor, JobID } from '../../src/index.js';
import { describeFlux, fluxCmd } from '../flux/instance.js';
import { describeBackendBehaviour } from './suite.js';
import { tempDir } from './helpers.js';

const marker = { key: 'JOBF_TEST_MARK', value: `flux-${randomUUID()}` };
process.env[marker.key] = marker.value;

describeFlux('the shared behaviour suite on Flux', (inst) => {
  describeBackendBehaviour({
    name: 'flux',
    make: (options = {}) => {
      const { maxCores: _ignored, ...rest } = options;
      return new JobExecutor({ backend: 'flux', uri: inst.uri, logDir: tempDir('jobf-flux-'), ...rest });
    },
    timeout: { duration: 2, testMs: 60_000 },
    honoursMaxCores: false,
    marker,
    jobShell: true,
    // Flux's own task variables; FLUX_JOB_ID is Flux's id (the native id), in F58
    taskVariables: { rank: 'FLUX_TASK_RANK', size: 'FLUX_JOB_SIZE', id: 'FLUX_JOB_ID', idOf: (f) => JobID.parse(f.nativeId!).f58 },
    submitElsewhere: (command) => fluxCmd(inst, ['submit', '--output=/dev/null', 'sh', '-c', command]).trim(),
  });
});
