import { randomUUID } from 'node:crypto';
import { JobExecutor } from '../../src/index.js';
import { describeBackendBehaviour } from './suite.js';

const marker = { key: 'JOBF_TEST_MARK', value: `local-${randomUUID()}` };
process.env[marker.key] = marker.value;

for (const spawner of ['launcher', 'execa'] as const) {
  describeBackendBehaviour({
    name: `local/${spawner}`,
    make: (options = {}) => new JobExecutor({ backend: 'local', spawner, killTimeout: 1000, ...options }),
    timeout: { duration: 1, testMs: 20_000 },
    honoursMaxCores: true,
    marker,
  });
}
