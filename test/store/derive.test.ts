import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { returncodeOf } from '../../src/core/lifecycle.js';
import { deriveState, type NewEvent } from '../../src/store/index.js';

const ev = (name: string, context?: Record<string, unknown>): NewEvent =>
  context === undefined ? { name, timestamp: 1 } : { name, timestamp: 1, context };

const RUN = ['submit', 'validate', 'depend', 'priority', 'alloc', 'start'].map((n) => ev(n));
const END = ['release', 'free', 'clean'].map((n) => ev(n));

describe('deriveState', () => {
  it('walks the RFC 21 states', () => {
    const states = ['submit', 'validate', 'depend', 'priority', 'alloc', 'start', 'finish', 'release', 'free', 'clean'].map(
      (_, i, names) => deriveState(names.slice(0, i + 1).map((n) => ev(n, n === 'finish' ? { status: 0 } : undefined))).state,
    );
    expect(states).toEqual(['NEW', 'DEPEND', 'PRIORITY', 'SCHED', 'RUN', 'RUN', 'CLEANUP', 'CLEANUP', 'CLEANUP', 'INACTIVE']);
  });

  it.each([
    ['exit 0', [...RUN, ev('finish', { status: 0 }), ...END], 'COMPLETED', 0],
    ['exit 2', [...RUN, ev('finish', { status: 2 << 8 }), ...END], 'FAILED', 2],
    ['SIGKILL', [...RUN, ev('finish', { status: 9 }), ...END], 'FAILED', -9],
    ['SIGSEGV with core', [...RUN, ev('finish', { status: 11 | 0x80 }), ...END], 'FAILED', -11],
    ['canceled while pending', [ev('submit'), ev('exception', { type: 'cancel', severity: 0, note: '' }), ev('clean')], 'CANCELED', -128],
    ['canceled while running', [...RUN, ev('exception', { type: 'cancel', severity: 0 }), ev('finish', { status: 15 }), ...END], 'CANCELED', -15],
    ['timeout', [...RUN, ev('exception', { type: 'timeout', severity: 0 }), ev('finish', { status: 9 }), ...END], 'TIMEOUT', -9],
    ['lost', [ev('submit'), ev('exception', { type: 'lost', severity: 0 }), ev('clean')], 'FAILED', 1],
    ['dependency', [ev('submit'), ev('validate'), ev('exception', { type: 'dependency', severity: 0 }), ev('clean')], 'FAILED', 1],
    ['exit 0 after a timeout (TERM trapped)', [...RUN, ev('exception', { type: 'timeout', severity: 0 }), ev('finish', { status: 0 }), ...END], 'TIMEOUT', 0],
    ['status 0 without start', [ev('submit'), ev('finish', { status: 0 }), ev('clean')], 'FAILED', 0],
    ['finished 0 after a late cancel', [...RUN, ev('finish', { status: 0 }), ev('exception', { type: 'cancel', severity: 0 }), ...END], 'COMPLETED', 0],
  ])('%s', (_, events, result, returncode) => {
    const d = deriveState(events);
    expect(d.state).toBe('INACTIVE');
    expect(d.result).toBe(result);
    expect(d.returncode).toBe(returncode);
  });

  it('keeps the first fatal exception and ignores non-fatal ones', () => {
    const d = deriveState([
      ev('submit'),
      ev('exception', { type: 'info', severity: 4, note: 'fyi' }),
      ev('exception', { type: 'timeout', severity: 0, note: 'first' }),
      ev('exception', { type: 'cancel', severity: 0, note: 'second' }),
    ]);
    expect(d.state).toBe('CLEANUP');
    expect(d.exception).toEqual({ type: 'timeout', severity: 0, note: 'first' });
  });

  it('a submit event starts over; an INACTIVE job does not move otherwise', () => {
    const done = [...RUN, ev('finish', { status: 256 }), ...END];
    expect(deriveState([...done, ev('start'), ev('exception', { type: 'cancel', severity: 0 })])).toMatchObject({
      state: 'INACTIVE',
      result: 'FAILED',
    });
    expect(deriveState([...done, ev('submit', { urgency: 0 })])).toMatchObject({
      state: 'NEW',
      result: undefined,
      returncode: undefined,
      tRun: undefined,
      urgency: 0,
    });
  });

  it('decodes wait statuses', () => {
    expect(returncodeOf(0, 'COMPLETED')).toBe(0);
    expect(returncodeOf(1 << 8, 'FAILED')).toBe(1);
    expect(returncodeOf(255 << 8, 'FAILED')).toBe(255);
    expect(returncodeOf(15, 'FAILED')).toBe(-15);
    expect(returncodeOf(0x7f | (19 << 8), 'FAILED')).toBe(19); // stopped: treated as an exit code
    expect(returncodeOf(undefined, 'CANCELED')).toBe(-128);
    expect(returncodeOf(undefined, 'FAILED')).toBe(1);
  });

  const anyEvent = fc.oneof(
    fc.constantFrom('validate', 'depend', 'priority', 'alloc', 'start', 'release', 'free', 'clean', 'urgency', 'bogus').map((n) => ev(n)),
    fc.integer({ min: 0, max: 0xffff }).map((status) => ev('finish', { status })),
    fc.record({ type: fc.constantFrom('cancel', 'timeout', 'lost', 'exec'), severity: fc.integer({ min: 0, max: 7 }) }).map((c) =>
      ev('exception', c),
    ),
  );
  const ORDER = ['NEW', 'DEPEND', 'PRIORITY', 'SCHED', 'RUN', 'CLEANUP', 'INACTIVE'];

  it('property: states only move forward, and only INACTIVE jobs have a result', () => {
    fc.assert(
      fc.property(fc.array(anyEvent, { maxLength: 30 }), (events) => {
        let prev = 0;
        for (let i = 1; i <= events.length; i++) {
          const d = deriveState([ev('submit'), ...events.slice(0, i)]);
          const rank = ORDER.indexOf(d.state);
          expect(rank).toBeGreaterThanOrEqual(prev);
          prev = rank;
          expect(d.result === undefined).toBe(d.state !== 'INACTIVE');
          if (d.result === 'COMPLETED') expect(d.returncode).toBe(0);
        }
      }),
    );
  });
});
