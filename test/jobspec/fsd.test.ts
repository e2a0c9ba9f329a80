/**
 * RFC 23 Flux Standard Duration: parseFSD / formatFSD.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/util/errors.js';
import { formatFSD, parseFSD } from '../../src/util/fsd.js';
import { thrown } from './helpers.js';

describe('parseFSD', () => {
  it.each([
    [90, 90],
    [0, 0],
    [0.25, 0.25],
    [Infinity, Infinity],
    ['90', 90],
    ['90s', 90],
    ['10m', 600],
    ['2h', 7200],
    ['1d', 86400],
    ['0.5m', 30],
    ['1.5h', 5400],
    ['1.1h', 3960],
    ['250ms', 0.25],
    ['.5s', 0.5],
    ['5.', 5],
    ['1e3', 1000],
    ['1.5e1m', 900],
    ['+7s', 7],
    ['0', 0],
    ['0d', 0],
    ['inf', Infinity],
    ['infinity', Infinity],
    ['INFINITY', Infinity],
    ['Inf', Infinity],
  ] as const)('%j → %d', (input, seconds) => {
    expect(parseFSD(input)).toBe(seconds);
  });

  it('normalises -0 to 0', () => {
    expect(Object.is(parseFSD(-0), 0)).toBe(true);
  });

  it.each([
    [-1, /must not be negative \(got -1\)/],
    [NaN, /must not be NaN/],
    ['-1', /must not be negative/],
    ['-1m', /must not be negative/],
    ['', /is not a Flux Standard Duration \(got ""/],
    [' 5s', /is not a Flux Standard Duration/],
    ['5s ', /is not a Flux Standard Duration/],
    ['5 s', /is not a Flux Standard Duration/],
    ['5S', /is not a Flux Standard Duration/],
    ['5w', /is not a Flux Standard Duration/],
    ['1h30m', /is not a Flux Standard Duration/],
    ['m', /is not a Flux Standard Duration/],
    ['.', /is not a Flux Standard Duration/],
    ['nan', /is not a Flux Standard Duration/],
    ['0x10', /is not a Flux Standard Duration/],
    ['1e999', /is out of range/],
    ['1e308d', /is out of range/],
    ['infs', /is not a Flux Standard Duration/],
  ] as const)('rejects %j', (input, message) => {
    const error = thrown(() => parseFSD(input));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe('duration');
    expect((error as Error).message).toMatch(message);
  });

  it('names the given argument and rejects non-string, non-number input', () => {
    const error = thrown(() => parseFSD({} as unknown as string, 'opts.timeout')) as InvalidArgumentError;
    expect(error.argument).toBe('opts.timeout');
    expect(error.message).toMatch(/must be a number of seconds or a Flux Standard Duration string \(got object\)/);
    expect((thrown(() => parseFSD(null as unknown as string)) as Error).message).toMatch(/got null/);
  });
});

describe('formatFSD', () => {
  it.each([
    [0, '0s'],
    [0.5, '0.5s'],
    [59, '59s'],
    [60, '1m'],
    [61, '61s'],
    [90, '90s'],
    [120, '2m'],
    [150, '2.5m'],
    [3600, '1h'],
    [5400, '90m'],
    [9000, '2.5h'],
    [86400, '1d'],
    [129600, '36h'],
    [216000, '60h'],
    [86486.4, '1.001d'],
    [172800, '2d'],
    [100000, '100000s'],
    [1e-7, '1e-7s'],
    [1e21, '1e+21s'],
    [Infinity, 'infinity'],
  ] as const)('%d → %j', (seconds, text) => {
    expect(formatFSD(seconds)).toBe(text);
  });

  it('rejects negative, NaN and non-numbers', () => {
    for (const bad of [-1, NaN, '5' as unknown as number]) {
      const error = thrown(() => formatFSD(bad));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).argument).toBe('seconds');
    }
  });

  it('parseFSD(formatFSD(x)) === x for every non-negative double', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, noNaN: true }), (seconds) => {
        expect(parseFSD(formatFSD(seconds))).toBe(seconds === 0 ? 0 : seconds);
      }),
      { numRuns: 2000 },
    );
  });

  it('whole minutes, hours and days use their unit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.constantFrom(['m', 60], ['h', 3600], ['d', 86400]), (n, [suffix, unit]) => {
        const text = formatFSD(n * (unit as number));
        expect(parseFSD(text)).toBe(n * (unit as number));
        expect(text.endsWith('s')).toBe(false);
        expect(['m', 'h', 'd']).toContain(text.slice(-1));
        if (suffix === 'd' && n < 100) expect(text).toBe(`${n}d`);
      }),
    );
  });
});
