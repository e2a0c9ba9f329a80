/**
 * When the Node process that owns an executor exits, or gets SIGINT/SIGTERM, no job process is left
 * behind. Runs a real child Node process on the built library (npm test builds first).
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { processesWithEnv, readPids, tempDir, waitFor } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const entry = path.join(root, 'dist/src/index.js');

const script = (spawner: string, how: string) => `
import { JobExecutor, Jobspec } from ${JSON.stringify(entry)};
const [pidFile] = process.argv.slice(1);
const ex = new JobExecutor({ maxCores: 4, spawner: ${JSON.stringify(spawner)} });
for (let i = 0; i < 3; i++) ex.submit(Jobspec.fromCommand(['sh', '-c', 'sleep 300 & echo $! >> "$1"; echo $$ >> "$1"; wait', 'sh', pidFile]));
const timer = setInterval(() => {}, 1000);
console.log('ready');
${how === 'exit' ? "setTimeout(() => process.exit(3), 800);" : ''}
`;

describe.skipIf(!existsSync(entry))('no job process outlives its Node process', () => {
  for (const spawner of ['launcher', 'execa']) {
    for (const how of ['SIGTERM', 'SIGINT', 'exit'] as const) {
      it(`${spawner}: ${how}`, async () => {
        const dir = tempDir();
        const pidFile = path.join(dir, 'pids');
        const mark = randomUUID();
        const child = execa('node', ['--input-type=module', '-e', script(spawner, how), pidFile], { env: { JOBF_EXIT_MARK: mark }, reject: false });
        await waitFor(() => readPids(pidFile).length === 6, 20_000, 'jobs to start');
        expect(processesWithEnv('JOBF_EXIT_MARK', mark).length).toBeGreaterThanOrEqual(6);
        if (how !== 'exit') child.kill(how);
        const result = await child;
        if (how === 'exit') expect(result.exitCode).toBe(3);
        else expect(result.signal).toBe(how);
        await waitFor(() => processesWithEnv('JOBF_EXIT_MARK', mark).length === 0, 10_000, 'job processes to be gone');
      });
    }
  }
});
