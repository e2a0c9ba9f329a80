import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { JobExecutor } from '../../src/index.js';
import { describeSlurm, shareCluster } from '../slurm/cluster.js';
import { describeBackendBehaviour } from './suite.js';
import { tempDir } from './helpers.js';
import { afterAll, beforeAll } from 'vitest';

const marker = { key: 'JOBF_TEST_MARK', value: `slurm-${randomUUID()}` };
process.env[marker.key] = marker.value;

describeSlurm('the shared behaviour suite on Slurm', () => {
  let release: (() => void) | undefined;
  beforeAll(async () => {
    release = await shareCluster();
  }, 300_000);
  afterAll(() => release?.());

  describeBackendBehaviour({
    name: 'slurm',
    make: (options = {}) => {
      const { maxCores: _ignored, ...rest } = options;
      return new JobExecutor({ backend: 'slurm', logDir: tempDir('jobf-slurm-'), pollInterval: { min: 100, max: 1000 }, ...rest });
    },
    timeout: { duration: 5, testMs: 180_000 },
    honoursMaxCores: false,
    marker,
    slowScheduler: true,
    submitElsewhere: (command) =>
      execFileSync('sbatch', ['--parsable', '-o', '/dev/null', '-e', '/dev/null', '--wrap', command], { encoding: 'utf8' }).trim().split(';')[0]!,
  });
});
