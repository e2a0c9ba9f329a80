/**
 * Shared helpers of the store tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { FluidGenerator, JobID } from '../../src/ids/index.js';
import type { NewJob } from '../../src/store/index.js';

/** A fresh temporary directory; `cleanup()` removes it. */
export function tempDir(prefix = 'jobf-store-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const gen = new FluidGenerator();

/** A new job id. */
export function newId(): JobID {
  return gen.next();
}

/** A minimal jobspec-shaped object (the store does not validate specs). */
export function fakeSpec(command: string[] = ['true']): object {
  return {
    version: 1,
    resources: [{ type: 'slot', count: 1, label: 'task', with: [{ type: 'core', count: 1 }] }],
    tasks: [{ command, slot: 'task', count: { per_slot: 1 } }],
    attributes: { system: { duration: 0 } },
  };
}

/** A job to insert, with a `submit` event. */
export function newJob(overrides: Partial<NewJob> = {}): NewJob {
  const t = Date.now() / 1000;
  return {
    jobid: newId(),
    name: 'job',
    backend: 'local',
    spec: fakeSpec(),
    events: [{ name: 'submit', timestamp: t, context: { urgency: 16, userid: 0, flags: 0, version: 1 } }],
    ...overrides,
  };
}
