/**
 * A poll while slurmctld is down rejects and changes no job; the next poll after the restart
 * succeeds and jobs carry on. Takes the cluster exclusively (other Slurm test files wait).
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { expect, it } from 'vitest';
import { Jobspec } from '../../src/jobspec/index.js';
import { SchedulerCommandError } from '../../src/backends/batch/index.js';
import { describeSlurm, withExclusiveCluster } from './cluster.js';
import { makeRig } from './setup.js';

const scripts = path.resolve(import.meta.dirname, '../../scripts/slurm');

describeSlurm('SlurmBackend when the controller restarts', () => {
  it('a failed poll rejects without touching jobs; after the restart the jobs finish normally', async () => {
    await withExclusiveCluster(async () => {
      const { backend, host, close, logDir } = makeRig({}, false);
      try {
        const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
        const [running, pending] = host.submit(backend, [Jobspec.fromCommand(['sleep', '8'], { environment: env })]).concat(
          host.submit(backend, [Jobspec.fromCommand(['true'], { environment: env })], { urgency: 0 }),
        );
        await host.waitUntil(() => host.nativeId(running!) !== undefined && host.nativeId(pending!) !== undefined, 10_000);
        for (let i = 0; i < 50 && host.state(running!) !== 'RUN'; i++) {
          await backend.poll([...host.active]);
          await new Promise((r) => setTimeout(r, 200));
        }
        expect(host.state(running!)).toBe('RUN');
        const callsBefore = host.calls.length;

        await execa(path.join(scripts, 'stop-dev-cluster.sh'), ['slurmctld']);
        // Submitted while the controller is down: sbatch is retried until it is back.
        const [late] = host.submit(backend, [Jobspec.fromCommand(['true'], { environment: env })]);
        try {
          const t = Date.now();
          const err = await backend.poll([...host.active]).then(
            () => undefined,
            (e: unknown) => e,
          );
          console.info(`poll with slurmctld down rejected after ${Date.now() - t} ms: ${String(err)}`);
          expect(err).toBeInstanceOf(SchedulerCommandError);
          expect((err as SchedulerCommandError).tool).toBe('squeue');
          expect(host.calls.filter((c) => c.job !== late).length).toBe(callsBefore);
          expect(host.state(running!)).toBe('RUN');
          expect(host.state(pending!)).toBe('SCHED');
        } finally {
          const t = Date.now();
          await execa(path.join(scripts, 'start-dev-cluster.sh'));
          console.info(`slurmctld restarted in ${Date.now() - t} ms`);
        }

        expect(await backend.poll([...host.active]).then(() => 'ok')).toBe('ok');
        host.setUrgency(backend, pending!, 16);
        for (let i = 0; i < 150 && host.active.size > 0; i++) {
          await new Promise((r) => setTimeout(r, 200));
          await backend.poll([...host.active]).catch(() => false);
        }
        expect(host.trace(running!)).toEqual(['started', 'finished']);
        expect(host.status(running!)).toBe(0);
        expect(host.trace(pending!)).toEqual(['started', 'finished']);
        expect(host.trace(late!)).toEqual(['started', 'finished']);
        expect(backend.commandCounts.sbatch).toBeGreaterThan(3); // the late one was retried
      } finally {
        await close();
        rmSync(logDir, { recursive: true, force: true });
      }
    });
  }, 360_000);
});
