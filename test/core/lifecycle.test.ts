/**
 * One lifecycle, one result rule: the same event sequences fed to the reactor (restored from a
 * log, as after a take-over) and to a real store give the same state, result and returncode.
 */
import { afterAll, describe, expect, it } from 'vitest';

import { LocalBackend } from '../../src/backends/local/local-backend.js';
import { FluidGenerator } from '../../src/ids/index.js';
import { Jobspec } from '../../src/jobspec/index.js';
import { Reactor } from '../../src/reactor/index.js';
import { JobStore, deriveState } from '../../src/store/index.js';
import type { JobEvent } from '../../src/core/types.js';
import { tempDir } from '../store/helpers.js';

let t = 1_700_000_000;
const ev = (name: JobEvent['name'], context?: Record<string, unknown>): JobEvent =>
  context === undefined ? { name, timestamp: (t += 0.5) } : { name, timestamp: (t += 0.5), context };
const x = (type: string, severity = 0) => ev('exception', { type, severity, note: type });
const fin = (status: number) => ev('finish', { status });
const head = () => [ev('submit', { urgency: 16, userid: 0, flags: 0, version: 1 }), ev('validate'), ev('depend'), ev('priority', { priority: 16 })];
const run = () => [...head(), ev('alloc', { cores: 1 }), ev('start')];
const tail = () => [ev('release', { ranks: 'all', final: true }), ev('free'), ev('clean')];

const CASES: [string, () => JobEvent[], string, number][] = [
  ['exit 0', () => [...run(), fin(0), ...tail()], 'COMPLETED', 0],
  ['exit 3', () => [...run(), fin(3 << 8), ...tail()], 'FAILED', 3],
  ['killed by SIGKILL', () => [...run(), fin(9), ...tail()], 'FAILED', -9],
  ['timeout, then exit 0 (TERM trapped)', () => [...run(), x('timeout'), fin(0), ...tail()], 'TIMEOUT', 0],
  ['timeout, then SIGTERM', () => [...run(), x('timeout'), fin(15), ...tail()], 'TIMEOUT', -15],
  ['canceled while running', () => [...run(), x('cancel'), fin(15), ...tail()], 'CANCELED', -15],
  ['canceled while pending', () => [...head(), x('cancel'), ev('clean')], 'CANCELED', -128],
  ['canceled while held in DEPEND', () => [ev('submit', { urgency: 16 }), ev('validate'), x('cancel'), ev('clean')], 'CANCELED', -128],
  ['dependency failed', () => [ev('submit', { urgency: 16 }), ev('validate'), x('dependency'), ev('clean')], 'FAILED', 1],
  ['lost', () => [...run(), x('lost'), ...tail()], 'FAILED', 1],
  ['exec failure', () => [...head(), ev('alloc', { cores: 1 }), x('exec'), fin(127 << 8), ...tail()], 'FAILED', 127],
  ['non-fatal exception, exit 0', () => [...run(), x('info', 3), fin(0), ...tail()], 'COMPLETED', 0],
  ['non-fatal exception, exit 1', () => [...run(), x('timeout', 1), fin(1 << 8), ...tail()], 'FAILED', 1],
  ['two fatal exceptions: the first decides', () => [...run(), x('timeout'), x('cancel'), fin(9), ...tail()], 'TIMEOUT', -9],
];

const { dir, cleanup } = tempDir('jobf-lifecycle-');
const store = JobStore.open(`${dir}/jobs.db`);
const reactor = new Reactor({ backend: new LocalBackend({ maxCores: 1 }) });
const ids = new FluidGenerator();
const spec = Jobspec.fromCommand(['true']);
afterAll(async () => {
  await reactor.close();
  store.close();
  cleanup();
});

describe('the lifecycle table: reactor and store agree', () => {
  it.each(CASES)('%s', (_, make, result, returncode) => {
    const events = make();
    const jobid = ids.next();

    const ref = reactor.restore({ jobid, spec, urgency: 16, events });
    const fromReactor = reactor.resultOf(ref)!;

    store.insertJob({ jobid, name: 'job', backend: 'local', spec: spec.toJSON() as unknown as Record<string, unknown>, events: [] });
    store.appendEvents(events.map((e) => ({ jobid, name: e.name, timestamp: e.timestamp, ...(e.context && { context: e.context }) })));
    const fromStore = store.get(jobid)!;
    const derived = deriveState(events);

    expect(reactor.stateOf(ref)).toBe('INACTIVE');
    expect(fromStore.state).toBe('INACTIVE');
    expect(derived.state).toBe('INACTIVE');
    expect([fromReactor.result, fromStore.result, derived.result]).toEqual([result, result, result]);
    expect([fromReactor.returncode, fromStore.returncode, derived.returncode]).toEqual([returncode, returncode, returncode]);
    expect(fromStore.tRun).toBe(fromReactor.tRun);
    expect(fromStore.exception?.type).toBe(fromReactor.exception?.type);
  });
});
