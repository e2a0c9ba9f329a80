/**
 * Micro-benchmark of job ids: FluidGenerator throughput (nextInto is the reactor's hot path) and
 * JobID.parse / formatting throughput per encoding.
 */
import { pathToFileURL } from 'node:url';

import { FLUID_EPOCH_MS, FluidGenerator, JobID } from '../src/ids/index.js';

/** One benchmark result table. */
export interface IdsBenchResult {
  /** Table name: `ids`. */
  name: string;
  /** One row per operation: `op`, `n` (operations timed), `ms` and `perSec` (operations per second). */
  rows: Array<Record<string, string | number>>;
}

/** Sink that keeps results alive so the JIT cannot drop the work. */
let sink = 0;

/** Runs `body(n)` once to warm up, then times it; returns a row. */
function time(op: string, n: number, body: (n: number) => void): Record<string, string | number> {
  body(Math.min(n, 100_000));
  const start = performance.now();
  body(n);
  const ms = performance.now() - start;
  return { op, n, ms: Math.round(ms * 10) / 10, perSec: Math.round((n / ms) * 1000) };
}

/**
 * Times id generation and parsing.
 *
 * @returns The `ids` table: FluidGenerator.nextInto (real and frozen clock), nextBatchInto,
 *   nextBigInt, next,
 *   and JobID.parse / f58 formatting for each encoding.
 */
export async function benchIds(): Promise<IdsBenchResult> {
  const rows: Array<Record<string, string | number>> = [];
  const chunk = 1 << 20;
  const hi = new Float64Array(chunk);
  const lo = new Uint32Array(chunk);

  const fillInto = (gen: FluidGenerator) => (n: number) => {
    for (let i = 0; i < n; i++) gen.nextInto(hi, lo, i & (chunk - 1));
    sink += lo[(n - 1) & (chunk - 1)]!;
  };
  rows.push(time('FluidGenerator.nextInto (Date.now)', 10_000_000, fillInto(new FluidGenerator({ generatorId: 1 }))));
  const frozen = Date.now();
  rows.push(
    time('FluidGenerator.nextInto (frozen clock)', 10_000_000, fillInto(new FluidGenerator({ generatorId: 2, clock: () => frozen }))),
  );

  const batcher = new FluidGenerator({ generatorId: 5 });
  const batch = 1024;
  rows.push(
    time(`FluidGenerator.nextBatchInto (Date.now, ${batch} per call)`, 10_000_000, (n) => {
      for (let i = 0; i < n; i += batch) batcher.nextBatchInto(hi, lo, i & (chunk - 1), Math.min(batch, n - i));
      sink += lo[0]!;
    }),
  );

  const gen = new FluidGenerator({ generatorId: 3 });
  rows.push(
    time('FluidGenerator.nextBigInt', 2_000_000, (n) => {
      let x = 0n;
      for (let i = 0; i < n; i++) x ^= gen.nextBigInt();
      sink += Number(x & 1n);
    }),
  );
  rows.push(
    time('FluidGenerator.next', 2_000_000, (n) => {
      for (let i = 0; i < n; i++) sink += gen.next().timestamp & 1;
    }),
  );

  // Parse inputs: realistic FLUIDs (recent timestamps, varied generator ids).
  const sample = 50_000;
  const ids: JobID[] = [];
  const g = new FluidGenerator({ generatorId: 4, clock: () => FLUID_EPOCH_MS + 40_000_000_000 });
  for (let i = 0; i < sample; i++) ids.push(g.next());
  const encodings = ['f58', 'dec', 'hex', 'dothex', 'kvs', 'words'] as const;
  for (const enc of encodings) {
    const texts = ids.map((id) => id[enc]);
    const n = enc === 'words' ? 500_000 : 2_000_000;
    rows.push(
      time(`JobID.parse (${enc})`, n, (count) => {
        for (let i = 0; i < count; i++) sink += JobID.parse(texts[i % sample]!).timestamp & 1;
      }),
    );
  }
  rows.push(
    time('JobID.f58 (fresh JobID)', 2_000_000, (n) => {
      for (let i = 0; i < n; i++) sink += new JobID(ids[i % sample]!.value).f58.length;
    }),
  );
  if (sink === -1) rows.push({ op: 'sink', n: sink, ms: 0, perSec: 0 });
  return { name: 'ids', rows };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchIds();
  console.table(result.rows);
}
