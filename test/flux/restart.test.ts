/**
 * A broker restart under a live executor, on a private instance (its own JOBF_FLUX_STATE, so the
 * shared dev instance is never stopped): the executor keeps retrying with backoff while the broker
 * is down, a job submitted meanwhile waits, and once the broker is back the connection is
 * reopened, the journal resumed, and the job runs once, without any false failure.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { FluxBackend, JobExecutor, Jobspec } from '../../src/index.js';
import { tempDir, waitFor } from '../behaviour/helpers.js';
import { describeFlux } from './instance.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const state = tempDir('jobf-flux-restart-');
const uri = `local://${state}/rundir/local-0`;
const env = { ...process.env, JOBF_FLUX_STATE: state, JOBF_FLUX_CORES: '2' };
const script = (name: string) => execFileSync('bash', [path.join(root, 'scripts/flux', name)], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });

describeFlux('a broker restart under a live executor', () => {
  afterAll(() => {
    script('stop-dev-instance.sh');
  });

  it('reconnects with backoff, resumes the journal, and runs the job submitted meanwhile once', async () => {
    script('start-dev-instance.sh');
    const ex = new JobExecutor({ backend: 'flux', uri, logDir: tempDir('jobf-flux-'), reconnect: { min: 50, max: 400 } });
    try {
      const backend = ex.backend as FluxBackend;
      const errors: Error[] = [];
      backend.onConnectionError((e) => errors.push(e));
      const spec = Jobspec.fromCommand(['true'], { environment: { PATH: '/usr/bin:/bin' } });
      expect((await ex.submit(spec)).result).toBe('COMPLETED');
      script('stop-dev-instance.sh');
      await waitFor(() => errors.length >= 2, 30_000, 'failed reconnection attempts');
      const during = ex.submit(spec);
      expect(during.nativeId).toBeUndefined();
      script('start-dev-instance.sh');
      const r = await during;
      expect([r.result, r.returncode]).toEqual(['COMPLETED', 0]);
      expect(backend.connections).toBe(2);
      expect(backend.lastConnectionError).toBeUndefined();
    } finally {
      await ex.shutdown();
    }
  }, 120_000);
});
