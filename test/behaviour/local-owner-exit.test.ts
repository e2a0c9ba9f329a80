/**
 * With a job store, local jobs outlive their owner however it ends: a normal exit, an uncaught
 * exception, SIGINT, SIGTERM (and SIGKILL, see test/store). A child Node process owns an executor
 * on the store, its jobs start, it ends; a new executor on the store follows the jobs to their
 * real results. Runs on the built library (`npm run build` first).
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { JobExecutor } from '../../src/index.js';
import { LauncherSpawner } from '../../src/backends/local/launcher-spawner.js';
import { JobID } from '../../src/ids/index.js';
import { JobStore } from '../../src/store/index.js';
import { processesWithEnv, tempDir, waitFor } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const entry = path.join(root, 'dist/src/index.js');

/** The owner: two gated jobs (exit 0 and exit 3), then it ends the way `how` says once both run. */
const owner = (spawner: string, how: string) => `
import { JobExecutor, Jobspec } from ${JSON.stringify(entry)};
const [db, gate] = process.argv.slice(1);
const ex = new JobExecutor({ store: db, maxCores: 2, spawner: ${JSON.stringify(spawner)} });
const job = (code) => Jobspec.fromCommand(['sh', '-c', 'while [ ! -e "$1" ]; do sleep 0.02; done; exit ' + code, 'job', gate], { environment: { ...process.env } });
const futures = [ex.submit(job(0)), ex.submit(job(3))];
const timer = setInterval(() => {
  if (!futures.every((f) => f.running())) return;
  clearInterval(timer);
  console.log(JSON.stringify(futures.map((f) => f.id.f58)));
  setInterval(() => {}, 1000);
  ${how === 'exit' ? 'process.exit(0);' : how === 'throw' ? "setTimeout(() => { throw new Error('the owner crashed'); }, 0);" : ''}
}, 10);
`;

const spawners = LauncherSpawner.available() ? (['launcher', 'execa'] as const) : (['execa'] as const);

describe.skipIf(!existsSync(entry))('a store\'s local jobs survive every way their owner ends', () => {
  for (const spawner of spawners) {
    for (const how of ['exit', 'throw', 'SIGINT', 'SIGTERM'] as const) {
      it(`${spawner}: ${how}`, async () => {
        const dir = tempDir();
        const db = path.join(dir, 'jobs.db');
        const gate = path.join(dir, 'gate');
        const mark = `owner-exit-${process.pid}-${spawner}-${how}`;
        const child = execa('node', ['--input-type=module', '-e', owner(spawner, how), db, gate], { env: { JOBF_OWNER_MARK: mark }, reject: false });
        let ids: string[] = [];
        child.stdout!.on('data', (d: Buffer) => {
          const line = d.toString().trim();
          if (line.startsWith('[')) ids = JSON.parse(line) as string[];
        });
        await waitFor(() => ids.length === 2, 20_000, 'the jobs to run');
        if (how === 'SIGINT' || how === 'SIGTERM') child.kill(how);
        const result = await child;
        if (how === 'exit') expect(result.exitCode).toBe(0);
        else if (how === 'throw') expect(result.stderr).toContain('the owner crashed');
        else expect(result.signal).toBe(how);

        // The owner is gone; its jobs are not (their processes carry the owner's environment).
        expect(processesWithEnv('JOBF_OWNER_MARK', mark).length).toBeGreaterThanOrEqual(2);
        const ex = new JobExecutor({ store: db, maxCores: 2, spawner });
        try {
          expect(ex.recovered.claimed).toBe(2);
          const futures = ids.map((id) => ex.attach(id));
          writeFileSync(gate, '');
          const results = await Promise.all(futures);
          expect(results.map((r) => [r.result, r.returncode, r.exception?.type])).toEqual([
            ['COMPLETED', 0, undefined],
            ['FAILED', 3, undefined],
          ]);
        } finally {
          await ex.shutdown();
        }
        await waitFor(() => processesWithEnv('JOBF_OWNER_MARK', mark).length === 0, 10_000, 'the jobs to end');
        const store = JobStore.open(db, { readonly: true });
        try {
          for (const id of ids) expect(store.events(JobID.parse(id)).filter((e) => e.name === 'start')).toHaveLength(1);
        } finally {
          store.close();
        }
      }, 60_000);
    }
  }
});
