import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { JobExecutor } from '../../src/index.js';
import { describeSge } from '../sge/cluster.js';
import { describeBackendBehaviour } from './suite.js';
import { tempDir } from './helpers.js';

const marker = { key: 'JOBF_TEST_MARK', value: `sge-${randomUUID()}` };
process.env[marker.key] = marker.value;

await describeSge('the shared behaviour suite on Grid Engine', () => {
  describeBackendBehaviour({
    name: 'sge',
    make: (options = {}) => {
      const { maxCores: _ignored, ...rest } = options;
      return new JobExecutor({ backend: 'sge', logDir: tempDir('jobf-sge-'), pollInterval: { min: 100, max: 1000 }, ...rest });
    },
    timeout: { duration: 3, testMs: 180_000 },
    honoursMaxCores: false,
    marker,
    slowScheduler: true,
    multiTask: false,
    submitElsewhere: (command) =>
      execFileSync('qsub', ['-terse', '-S', '/bin/sh', '-o', '/dev/null', '-e', '/dev/null'], { input: `${command}\n`, encoding: 'utf8' }).trim().split('.')[0]!,
  });
});
