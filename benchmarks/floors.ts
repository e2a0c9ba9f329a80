/**
 * What JavaScript itself costs in two fan-out idioms, with no job at all: the floors under
 * `Promise.all(futures)` (V8 adopts each thenable through a job, a wrapper promise and a `then`
 * call) and under `for await … of ex.watch()` (one promise and one microtask per event). Each is
 * measured on trivial objects in this process (medians of rounds), beside the native-promise case:
 *
 *   node dist/benchmarks/floors.js [--items 200000] [--rounds 5]
 */
import { parseArgs } from 'node:util';
import { printTable, type Row } from './lib/table.js';
import { writeResult } from './lib/results.js';
import { machineInfo } from './lib/machine.js';

/** A thenable whose `then` only keeps its callback (the least a future can do), settled later. */
class BareThenable implements PromiseLike<number> {
  private onFulfilled: ((value: number) => unknown) | undefined;
  then<A = number, B = never>(onFulfilled?: ((value: number) => A | PromiseLike<A>) | null): PromiseLike<A | B> {
    this.onFulfilled = onFulfilled ?? undefined;
    return this as unknown as PromiseLike<A | B>;
  }
  settle(value: number): void {
    this.onFulfilled?.(value);
  }
}

/** µs per element of `Promise.all` over `items` elements made by `make`, settled after it subscribed. */
async function promiseAllCost(items: number, make: () => { value: PromiseLike<number>; settle: () => void }): Promise<number> {
  const made = Array.from({ length: items }, make);
  const t0 = performance.now();
  const all = Promise.all(made.map((m) => m.value));
  await new Promise((r) => setImmediate(r)); // let Promise.all subscribe to every element
  for (const m of made) m.settle();
  await all;
  return ((performance.now() - t0) * 1000) / items;
}

/** µs per item of `for await` over an async iterator whose `next()` resolves at once. */
async function forAwaitCost(items: number): Promise<number> {
  let i = 0;
  const iterator: AsyncIterableIterator<number> = {
    next: () => Promise.resolve(i < items ? { value: i++, done: false } : { value: undefined, done: true }),
    [Symbol.asyncIterator]: () => iterator,
  };
  const t0 = performance.now();
  let sum = 0;
  for await (const v of iterator) sum += v;
  if (sum < 0) throw new Error('unreachable');
  return ((performance.now() - t0) * 1000) / items;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Runs the floors and prints their table; returns the rows. */
export async function benchFloors(opts: { items?: number; rounds?: number } = {}): Promise<Row[]> {
  const items = opts.items ?? 200_000;
  const rounds = Math.max(1, opts.rounds ?? 5);
  const ways: [string, () => Promise<number>][] = [
    [
      'Promise.all over bare thenables (µs/element)',
      () =>
        promiseAllCost(items, () => {
          const t = new BareThenable();
          return { value: t, settle: () => t.settle(1) };
        }),
    ],
    [
      'Promise.all over native promises (µs/element)',
      () =>
        promiseAllCost(items, () => {
          let resolve!: (v: number) => void;
          const value = new Promise<number>((r) => (resolve = r));
          return { value, settle: () => resolve(1) };
        }),
    ],
    ['for await, next() already resolved (µs/item)', () => forAwaitCost(items * 10)],
  ];
  const samples = new Map<string, number[]>(ways.map(([name]) => [name, []]));
  for (let r = 0; r < rounds; r++) for (const [name, run] of ways) samples.get(name)!.push(await run());
  const rows: Row[] = ways.map(([name]) => ({ floor: name, 'median µs': Number(median(samples.get(name)!).toFixed(3)), rounds }));
  printTable(`JavaScript floors: ${items.toLocaleString('en-US')} elements (for await: ${(items * 10).toLocaleString('en-US')} items), medians of ${rounds} rounds`, rows);
  writeResult('floors', { machine: machineInfo(), items, rounds, rows });
  return rows;
}

const isMain = process.argv[1] !== undefined && import.meta.url === (await import('node:url')).pathToFileURL(process.argv[1]).href;
if (isMain) {
  const { values } = parseArgs({ options: { items: { type: 'string' }, rounds: { type: 'string' } } });
  await benchFloors({ ...(values.items !== undefined && { items: Number(values.items) }), ...(values.rounds !== undefined && { rounds: Number(values.rounds) }) });
}
