import { describe, expect, it } from 'vitest';

import { InvalidArgumentError, JobfuturesError } from '../../src/util/errors.js';
import { FLUID_EPOCH_MS, FluidGenerator, FluidRangeError, JobID } from '../../src/ids/index.js';

/** A clock the test moves by hand. */
function manualClock(start: number): { now: number; clock: () => number } {
  const c = { now: start, clock: () => c.now };
  return c;
}

function expectStrictlyIncreasing(ids: readonly bigint[]): void {
  for (let i = 1; i < ids.length; i++) {
    if (!(ids[i]! > ids[i - 1]!)) {
      throw new Error(`id ${i} (${ids[i]}) is not greater than id ${i - 1} (${ids[i - 1]})`);
    }
  }
  expect(new Set(ids).size).toBe(ids.length);
}

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);

describe('FluidGenerator', () => {
  it('lays out timestamp | generator id | sequence', () => {
    const { clock } = manualClock(T0);
    const gen = new FluidGenerator({ generatorId: 0x2abc, clock });
    const first = gen.nextBigInt();
    const second = gen.nextBigInt();
    expect(first >> 24n).toBe(BigInt(T0 - FLUID_EPOCH_MS));
    expect((first >> 10n) & 0x3fffn).toBe(0x2abcn);
    expect(first & 0x3ffn).toBe(0n);
    expect(second - first).toBe(1n);
    expect(gen.next().timestamp).toBe(T0 - FLUID_EPOCH_MS);
  });

  it('next, nextBigInt and nextInto share one sequence', () => {
    const { clock } = manualClock(T0);
    const gen = new FluidGenerator({ generatorId: 3, clock });
    const hi = new Float64Array(4);
    const lo = new Uint32Array(4);
    const a = gen.next();
    gen.nextInto(hi, lo, 1);
    const c = gen.nextBigInt();
    gen.nextInto(hi, lo, 3);
    const ids = [a.value, JobID.fromParts(hi[1]!, lo[1]!).value, c, JobID.fromParts(hi[3]!, lo[3]!).value];
    expect(ids.map((v) => v - a.value)).toEqual([0n, 1n, 2n, 3n]);
    expect(hi[1]).toBe(T0 - FLUID_EPOCH_MS);
    expect(lo[1]).toBe((3 << 10) | 1);
  });

  it('makes 5,000 unique, increasing ids within one frozen millisecond', () => {
    const gen = new FluidGenerator({ generatorId: 16383, clock: () => T0 });
    const ids: bigint[] = [];
    for (let i = 0; i < 5000; i++) ids.push(gen.nextBigInt());
    expectStrictlyIncreasing(ids);
    // 1024 per millisecond: the generator borrowed 4 milliseconds ahead of the frozen clock.
    const base = T0 - FLUID_EPOCH_MS;
    expect(Number(ids[0]! >> 24n)).toBe(base);
    expect(Number(ids[1023]! >> 24n)).toBe(base);
    expect(Number(ids[1024]! >> 24n)).toBe(base + 1);
    expect(Number(ids[4999]! >> 24n)).toBe(base + 4);
    expect(ids.every((v) => ((v >> 10n) & 0x3fffn) === 16383n)).toBe(true);
  });

  it('makes 5,000 unique, increasing ids within one frozen millisecond via nextInto', () => {
    const gen = new FluidGenerator({ generatorId: 1, clock: () => T0 });
    const n = 5000;
    const hi = new Float64Array(n);
    const lo = new Uint32Array(n);
    for (let i = 0; i < n; i++) gen.nextInto(hi, lo, i);
    const ids = Array.from({ length: n }, (_, i) => JobID.fromParts(hi[i]!, lo[i]!).value);
    expectStrictlyIncreasing(ids);
    // The next id after the batch continues the sequence.
    expect(gen.nextBigInt()).toBeGreaterThan(ids[n - 1]!);
  });

  it('nextBatchInto gives exactly the ids of repeated nextInto calls', () => {
    const n = 5000;
    const c1 = manualClock(T0);
    const c2 = manualClock(T0);
    const one = new FluidGenerator({ generatorId: 77, clock: c1.clock });
    const batch = new FluidGenerator({ generatorId: 77, clock: c2.clock });
    const hi1 = new Float64Array(n + 10);
    const lo1 = new Uint32Array(n + 10);
    const hi2 = new Float64Array(n + 10);
    const lo2 = new Uint32Array(n + 10);
    one.nextInto(hi1, lo1, 0);
    batch.nextInto(hi2, lo2, 0);
    for (let i = 1; i <= n; i++) one.nextInto(hi1, lo1, i);
    batch.nextBatchInto(hi2, lo2, 1, n);
    expect(Array.from(hi2)).toEqual(Array.from(hi1));
    expect(Array.from(lo2)).toEqual(Array.from(lo1));
    const ids = Array.from({ length: n + 1 }, (_, i) => JobID.fromParts(hi2[i]!, lo2[i]!).value);
    expectStrictlyIncreasing(ids);
    // State carries over: the next single id follows the batch, also after the clock moves.
    expect(batch.nextBigInt()).toBe(one.nextBigInt());
    c1.now = c2.now = T0 + 100;
    batch.nextBatchInto(hi2, lo2, n + 1, 3);
    for (let i = n + 1; i < n + 4; i++) one.nextInto(hi1, lo1, i);
    expect(Array.from(lo2.subarray(n + 1, n + 4))).toEqual(Array.from(lo1.subarray(n + 1, n + 4)));
    expect(hi2[n + 1]).toBe(T0 + 100 - FLUID_EPOCH_MS);
  });

  it('nextBatchInto with a count of 0 writes nothing and uses no id', () => {
    const gen = new FluidGenerator({ generatorId: 5, clock: () => T0 });
    const hi = new Float64Array(2).fill(-1);
    const lo = new Uint32Array(2).fill(7);
    gen.nextBatchInto(hi, lo, 0, 0);
    gen.nextBatchInto(hi, lo, 0, -3);
    expect(Array.from(hi)).toEqual([-1, -1]);
    expect(gen.nextBigInt() & 0x3ffn).toBe(0n);
  });

  it('does not repeat when the clock catches up with a borrowed millisecond', () => {
    const c = manualClock(T0);
    const gen = new FluidGenerator({ generatorId: 9, clock: c.clock });
    const ids: bigint[] = [];
    for (let i = 0; i < 3000; i++) ids.push(gen.nextBigInt()); // borrows T0+1 and T0+2
    c.now = T0 + 1; // behind the logical timestamp
    for (let i = 0; i < 10; i++) ids.push(gen.nextBigInt());
    c.now = T0 + 2; // equal to it
    for (let i = 0; i < 10; i++) ids.push(gen.nextBigInt());
    c.now = T0 + 3; // past it: sequence restarts at 0
    ids.push(gen.nextBigInt());
    expectStrictlyIncreasing(ids);
    expect(ids.at(-1)! & 0x3ffn).toBe(0n);
    expect(Number(ids.at(-1)! >> 24n)).toBe(T0 + 3 - FLUID_EPOCH_MS);
  });

  it('keeps the last timestamp when the clock goes backwards', () => {
    const c = manualClock(T0);
    const gen = new FluidGenerator({ generatorId: 42, clock: c.clock });
    const ids: bigint[] = [gen.nextBigInt(), gen.nextBigInt()];
    c.now = T0 - 60_000; // a minute back (NTP step)
    for (let i = 0; i < 2000; i++) ids.push(gen.nextBigInt());
    c.now = T0 - 1;
    ids.push(gen.nextBigInt());
    c.now = T0 + 10;
    ids.push(gen.nextBigInt());
    expectStrictlyIncreasing(ids);
    expect(Number(ids[2]! >> 24n)).toBe(T0 - FLUID_EPOCH_MS);
    expect(Number(ids.at(-1)! >> 24n)).toBe(T0 + 10 - FLUID_EPOCH_MS);
  });

  it('survives a clock that is fractional, NaN or before FLUID_EPOCH_MS', () => {
    const c = manualClock(T0 + 0.9);
    const gen = new FluidGenerator({ generatorId: 1, clock: c.clock });
    const ids: bigint[] = [gen.nextBigInt()];
    expect(Number(ids[0]! >> 24n)).toBe(T0 - FLUID_EPOCH_MS);
    c.now = T0 + 0.2;
    ids.push(gen.nextBigInt());
    c.now = Number.NaN;
    ids.push(gen.nextBigInt());
    expectStrictlyIncreasing(ids);

    const early = new FluidGenerator({ generatorId: 1, clock: () => 0 });
    const e = [early.nextBigInt(), early.nextBigInt()];
    expectStrictlyIncreasing(e);
    expect(e[0]! >> 24n).toBe(0n);
  });

  it('uses Date.now by default', () => {
    const before = Date.now() - FLUID_EPOCH_MS;
    const ts = new FluidGenerator().next().timestamp;
    const after = Date.now() - FLUID_EPOCH_MS;
    expect(ts).toBeGreaterThanOrEqual(before);
    expect(ts).toBeLessThanOrEqual(after);
  });

  it('picks a random generator id in 0..16383 by default', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const id = new FluidGenerator().generatorId;
      expect(Number.isInteger(id) && id >= 0 && id < 16384).toBe(true);
      seen.add(id);
    }
    expect(seen.size).toBeGreaterThan(1);
  });

  it('accepts generator ids 0 and 16383', () => {
    expect(new FluidGenerator({ generatorId: 0 }).generatorId).toBe(0);
    expect(new FluidGenerator({ generatorId: 16383 }).generatorId).toBe(16383);
  });

  it.each([-1, 16384, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '7' as unknown as number])(
    'rejects generatorId %s with InvalidArgumentError("opts.generatorId")',
    (generatorId) => {
      let caught: unknown;
      try {
        new FluidGenerator({ generatorId });
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(InvalidArgumentError);
      expect((caught as InvalidArgumentError).argument).toBe('opts.generatorId');
    },
  );

  it('rejects a clock that is not a function', () => {
    expect(() => new FluidGenerator({ clock: 5 as unknown as () => number })).toThrow(InvalidArgumentError);
  });

  it('ids of generators with different ids never collide, and sort by time across generators', () => {
    const c = manualClock(T0);
    const a = new FluidGenerator({ generatorId: 1, clock: c.clock });
    const b = new FluidGenerator({ generatorId: 2, clock: c.clock });
    const all = new Set<bigint>();
    for (let i = 0; i < 3000; i++) {
      all.add(a.nextBigInt());
      all.add(b.nextBigInt());
    }
    expect(all.size).toBe(6000);
    c.now = T0 + 10;
    const later = b.nextBigInt();
    c.now = T0 + 11;
    expect(a.nextBigInt()).toBeGreaterThan(later);
  });

  it('throws FluidRangeError once the timestamp no longer fits in 40 bits', () => {
    const last = FLUID_EPOCH_MS + 2 ** 40 - 1;
    const gen = new FluidGenerator({ generatorId: 0, clock: () => last });
    for (let i = 0; i < 1024; i++) gen.nextBigInt();
    expect(() => gen.nextBigInt()).toThrow(FluidRangeError);
    const batchGen = new FluidGenerator({ generatorId: 0, clock: () => last });
    const hi = new Float64Array(2000);
    const lo = new Uint32Array(2000);
    expect(() => batchGen.nextBatchInto(hi, lo, 0, 2000)).toThrow(FluidRangeError);
    expect(lo[1023]).toBe(1023);

    const future = new FluidGenerator({ clock: () => FLUID_EPOCH_MS + 2 ** 40 });
    let caught: unknown;
    try {
      future.next();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(FluidRangeError);
    expect(caught).toBeInstanceOf(JobfuturesError);
    expect((caught as FluidRangeError).code).toBe('ERR_FLUID_RANGE');
  });
});
