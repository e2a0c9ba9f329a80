import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { InvalidArgumentError, JobfuturesError } from '../../src/util/errors.js';
import { FLUID_EPOCH_MS, JobID, JobIDParseError, jobidFromParts } from '../../src/ids/index.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const vectorsPath = path.resolve(repoRoot, '..', 'shared', 'conformance', 'flux-jobid', 'jobid-vectors.json');

interface RoundtripRow {
  int: string;
  hex: string;
  dothex: string;
  kvs: string;
  f58: string;
  f58plain: string;
  words: string;
  emoji: string;
}
interface Vectors {
  roundtrip: RoundtripRow[];
  f58_only: Array<[string, string]>;
  decode_only: Array<[string, string]>;
  invalid: string[];
}

/** The project's own RFC 19 vectors (test/fixtures/jobid/vectors.json), always there. */
interface OwnVectors {
  encode: Array<Record<'dec' | 'hex' | 'dothex' | 'kvs' | 'f58' | 'f58plain' | 'words', string>>;
  decode: Array<[string, string]>;
  invalid: string[];
}
const own = JSON.parse(readFileSync(path.join(repoRoot, 'test', 'fixtures', 'jobid', 'vectors.json'), 'utf8')) as OwnVectors;

/** Flux's vectors are optional (a plain clone does not have ../shared): one loud line when absent. */
const fluxVectorsPresent = existsSync(vectorsPath);
if (!fluxVectorsPresent) {
  console.warn(`WARNING: Flux JobID vectors ${vectorsPath} not found: their tests are skipped; the project's own vectors (test/fixtures/jobid/vectors.json) still run (the Flux set is optional).`);
}
const vectors: Vectors = fluxVectorsPresent
  ? (JSON.parse(readFileSync(vectorsPath, 'utf8')) as Vectors)
  : { roundtrip: [], f58_only: [], decode_only: [], invalid: [] };

/** The vector key → JobID property holding the same encoding. */
const PROPERTY = {
  int: 'dec',
  hex: 'hex',
  dothex: 'dothex',
  kvs: 'kvs',
  f58: 'f58',
  f58plain: 'f58plain',
  words: 'words',
} as const satisfies Record<Exclude<keyof RoundtripRow, 'emoji'>, keyof JobID>;

const U64_MAX = (1n << 64n) - 1n;

function expectParseError(text: string, reason?: RegExp): JobIDParseError {
  let caught: unknown;
  try {
    JobID.parse(text);
  } catch (err) {
    caught = err;
  }
  expect(caught, `JobID.parse(${JSON.stringify(text)}) should throw`).toBeInstanceOf(JobIDParseError);
  const err = caught as JobIDParseError;
  expect(err).toBeInstanceOf(JobfuturesError);
  expect(err.code).toBe('ERR_JOBID_PARSE');
  expect(err.name).toBe('JobIDParseError');
  expect(err.input).toBe(text);
  expect(err.message).toContain(JSON.stringify(text));
  if (reason) expect(err.message).toMatch(reason);
  return err;
}

const OWN_KEYS = ['dec', 'hex', 'dothex', 'kvs', 'f58', 'f58plain', 'words'] as const;

describe('own RFC 19 vectors (test/fixtures/jobid/vectors.json)', () => {
  it('cover 0, 1, the radix edges and the largest id', () => {
    const values = own.encode.map((row) => BigInt(row.dec));
    expect(values).toContain(0n);
    expect(values).toContain(1n);
    expect(values).toContain(U64_MAX);
    expect(values).toContain(58n ** 10n);
    expect(values).toContain(1626n * 1626n);
    expect(own.encode.length).toBeGreaterThanOrEqual(40);
    expect(own.decode.length).toBeGreaterThan(0);
    expect(own.invalid.length).toBeGreaterThan(0);
  });

  describe.each(own.encode)('$dec', (row) => {
    const value = BigInt(row.dec);
    it.each(OWN_KEYS)('%s: formats from the value and parses back', (key) => {
      const id = new JobID(value);
      expect(id[key]).toBe(row[key]);
      expect(JobID.parse(row[key]).value).toBe(value);
    });
    it('String() and JSON are the F58 form', () => {
      expect(String(new JobID(value))).toBe(row.f58);
      expect(JSON.stringify(new JobID(value))).toBe(JSON.stringify(row.f58));
    });
  });

  it.each(own.decode)('decodes %j as %s', (text, dec) => {
    expect(JobID.parse(text).value).toBe(BigInt(dec));
  });

  it.each(own.invalid)('rejects %j', (text) => {
    expectParseError(text);
  });
});

describe.skipIf(!fluxVectorsPresent)('conformance vectors (flux-core t0010-job.py / fluid.c)', () => {
  it('has the expected sections', () => {
    expect(vectors.roundtrip.length).toBeGreaterThan(0);
    expect(vectors.f58_only.length).toBeGreaterThan(0);
    expect(vectors.decode_only.length).toBeGreaterThan(0);
    expect(vectors.invalid.length).toBeGreaterThan(0);
  });

  describe.each(vectors.roundtrip)('roundtrip $int', (row) => {
    const expected = BigInt(row.int);
    it.each(Object.entries(PROPERTY) as Array<[Exclude<keyof RoundtripRow, 'emoji'>, keyof JobID]>)(
      '%s: parses to the value and formats back',
      (key, prop) => {
        const text = row[key];
        const id = JobID.parse(text);
        expect(id.value).toBe(expected);
        expect(id[prop]).toBe(text);
        expect(new JobID(expected)[prop]).toBe(text);
        // Surrounding whitespace is tolerated.
        expect(JobID.parse(`  ${text}\t\n`).value).toBe(expected);
      },
    );

    it('toString and toJSON are the ƒ F58 form', () => {
      const id = new JobID(expected);
      expect(id.toString()).toBe(row.f58);
      expect(id.toJSON()).toBe(row.f58);
      expect(`${id}`).toBe(row.f58);
    });
  });

  it.each(vectors.f58_only)('f58 %s <-> %s', (dec, f58) => {
    const value = BigInt(dec);
    expect(JobID.parse(f58).value).toBe(value);
    const plain = 'f' + f58.slice(1);
    expect(JobID.parse(plain).value).toBe(value);
    const id = new JobID(value);
    expect(id.f58).toBe(f58);
    expect(id.f58plain).toBe(plain);
    expect(JobID.parse(dec).value).toBe(value);
  });

  it.each(vectors.decode_only)('decodes %s as %s', (text, dec) => {
    expect(JobID.parse(text).value).toBe(BigInt(dec));
  });

  it.each(vectors.invalid)('rejects %s', (text) => {
    expectParseError(text);
  });
});

describe('JobID.parse', () => {
  it('accepts the other forms of flux-core src/common/libutil/test/fluid.c', () => {
    const cases: Array<[string, bigint]> = [
      ['0x39', 57n],
      ['0x4D2', 1234n],
      ['0x17e9fb8df16c2e', 6731191091817518n],
      ['0xffffffffffffffff', U64_MAX],
      ['0.0.0.0', 0n],
      ['0.0.0.0039', 57n],
      ['0.0.0.ffff', 65535n],
      ['0000.0000.ffff.ffff', 4294967295n],
      ['FFFF.FFFF.FFFF.FFFF', U64_MAX],
      ['job.0.0.0.1', 1n],
      ['18446744073709551615', U64_MAX],
      ['00042', 42n],
      [' 0xffff   ', 65535n],
      ['CAKE-Plume-nepal--neuron-pencil-academy', 6787342413402046n],
      ['cake-plume-nepal-neuron-pencil-academy', 6787342413402046n],
    ];
    for (const [text, value] of cases) expect(JobID.parse(text).value, text).toBe(value);
  });

  it('rejects with a precise reason', () => {
    expectParseError('', /empty string/);
    expectParseError('   ', /only whitespace/);
    expectParseError('-1', /never negative/);
    expectParseError('18446744073709551616', /exceeds the largest 64-bit id/);
    expectParseError('0x10000000000000000', /exceeds the largest 64-bit id/);
    expectParseError('0x', /hex digits after "0x"/);
    expectParseError('0xg', /hex digits after "0x"/);
    expectParseError('0X10', /not a job id in any known encoding/);
    expectParseError('+5', /not a job id in any known encoding/);
    expectParseError('12ab', /not a job id in any known encoding/);
    expectParseError('f', /no digits/);
    expectParseError('ƒ', /no digits/);
    expectParseError('f0', /'0' at offset 1 is not an F58 digit/);
    expectParseError('flux', /'l' at offset 1 is not an F58 digit/);
    expectParseError('f1230', /'0'/);
    expectParseError('ƒjpXCZedGfVR', /does not fit in 64 bits/);
    expectParseError('f1111111111111', /13 digits, at most 12/);
    expectParseError('0.0.0', /4 dot-separated groups .* got 3/);
    expectParseError('0.0.0.0.0', /got 5/);
    expectParseError('0.0.0.', /group 4 \(""\) is empty/);
    expectParseError('.0.0.0', /group 1 \(""\) is empty/);
    expectParseError('0.0.0.g', /group 4 \("g"\) has "g", not a hex digit/);
    expectParseError('10000.0.0.0', /group 1 \("10000"\) has more than 4 hex digits/);
    expectParseError('job.0.0', /got 2/);
    expectParseError('JOB.0.0.0.0', /got 5/);
    expectParseError('notjob.0.0.0.0', /got 5/);
    expectParseError('invalid-words-test', /"invalid" is not a mnemonicode word/);
    expectParseError('foo-bar-baz--qux-quux-corge', /"foo" is not a mnemonicode word/);
    expectParseError('academy-academy', /has 6 words .* got 2/);
    expectParseError('academy-academy-academy--academy-academy-academy-academy', /got 7/);
    expectParseError('-academy-academy-academy--academy-academy-academy', /starts or ends with "-"/);
    expectParseError('yes-academy-academy--academy-academy-academy', /24-bit remainders/);
    // 1625 * 1626^2 > 2^32: "amen" is digit 1625.
    expectParseError('academy-academy-amen--academy-academy-academy', /do not encode a 32-bit value/);
    // emoji (optional in RFC 19) are not supported: see parseValue
    expectParseError('🦄', /not a job id in any known encoding/);
    expectParseError('👴😱🔚🎮🕙🚩', /not a job id in any known encoding/);
  });

  it('rejects a non-string at run time', () => {
    expect(() => JobID.parse(42 as unknown as string)).toThrow(JobIDParseError);
  });
});

describe('JobID bounds', () => {
  it('accepts 0 and 2^64-1', () => {
    expect(new JobID(0n).f58).toBe('ƒ1');
    const max = new JobID(U64_MAX);
    expect(max.dec).toBe('18446744073709551615');
    expect(max.hex).toBe('0xffffffffffffffff');
    expect(max.dothex).toBe('ffff.ffff.ffff.ffff');
    expect(max.kvs).toBe('job.ffff.ffff.ffff.ffff');
    expect(max.f58).toBe('ƒjpXCZedGfVQ');
    expect(JobID.parse(max.words).value).toBe(U64_MAX);
  });

  it.each([[1n << 64n], [-1n], [(1n << 64n) + 5n]])('rejects %s with InvalidArgumentError("value")', (v) => {
    let caught: unknown;
    try {
      new JobID(v);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidArgumentError);
    expect((caught as InvalidArgumentError).argument).toBe('value');
    expect((caught as InvalidArgumentError).code).toBe('ERR_INVALID_ARGUMENT');
  });

  it('rejects a non-bigint value', () => {
    expect(() => new JobID(5 as unknown as bigint)).toThrow(InvalidArgumentError);
  });
});

describe('JobID serialisation and equality', () => {
  it('toJSON gives a string, never a number', () => {
    const id = new JobID(6787342413402046n);
    expect(typeof id.toJSON()).toBe('string');
    expect(JSON.stringify({ id })).toBe('{"id":"ƒuzzybunny"}');
    const back = JSON.parse(JSON.stringify({ id })) as { id: string };
    expect(JobID.parse(back.id).equals(id)).toBe(true);
  });

  it('equals a JobID, a bigint or a string in any encoding', () => {
    const id = new JobID(65535n);
    expect(id.equals(new JobID(65535n))).toBe(true);
    expect(id.equals(65535n)).toBe(true);
    for (const s of ['65535', '0xffff', '0.0.0.ffff', 'job.0000.0000.0000.ffff', 'ƒLUv', 'fLUv', id.words]) {
      expect(id.equals(s), s).toBe(true);
    }
    expect(id.equals(new JobID(65534n))).toBe(false);
    expect(id.equals(65534n)).toBe(false);
    expect(id.equals('ƒLUw')).toBe(false);
    expect(id.equals('not an id')).toBe(false);
    expect(id.equals(65535 as unknown as bigint)).toBe(false);
  });

  it('inspects as JobID(ƒ...)', async () => {
    const { inspect } = await import('node:util');
    expect(inspect(new JobID(1n))).toBe('JobID(ƒ2)');
  });
});

describe('FLUID parts', () => {
  it('fromParts packs timestamp * 2^24 + low24 and timestamp reads it back', () => {
    const id = JobID.fromParts(123456789, (5 << 10) | 7);
    expect(id.value).toBe(123456789n * 2n ** 24n + 5n * 1024n + 7n);
    expect(id.timestamp).toBe(123456789);
    expect(jobidFromParts(2 ** 40 - 1, 2 ** 24 - 1)).toBe(U64_MAX);
    expect(jobidFromParts(0, 0)).toBe(0n);
    expect(JobID.fromParts(2 ** 40 - 1, 0).timestamp).toBe(2 ** 40 - 1);
  });

  it.each([
    ['timestampMs', -1, 0],
    ['timestampMs', 2 ** 40, 0],
    ['timestampMs', 1.5, 0],
    ['timestampMs', Number.NaN, 0],
    ['low24', 0, -1],
    ['low24', 0, 2 ** 24],
    ['low24', 0, 0.5],
  ])('rejects a bad %s (%s, %s)', (argument, ts, low) => {
    expect(() => jobidFromParts(ts, low)).toThrow(InvalidArgumentError);
    try {
      JobID.fromParts(ts, low);
    } catch (err) {
      expect((err as InvalidArgumentError).argument).toBe(argument);
    }
  });

  it('FLUID_EPOCH_MS is 2025-01-01T00:00:00Z', () => {
    expect(FLUID_EPOCH_MS).toBe(Date.UTC(2025, 0, 1));
    expect(new Date(FLUID_EPOCH_MS).toISOString()).toBe('2025-01-01T00:00:00.000Z');
  });
});

describe('every encoding round-trips (property)', () => {
  it('for random 64-bit ids', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: U64_MAX }), (v) => {
        const id = new JobID(v);
        for (const prop of Object.values(PROPERTY)) {
          const text = id[prop];
          if (JobID.parse(text).value !== v) return false;
        }
        return id.equals(id.f58) && id.timestamp === Number(v >> 24n);
      }),
      { numRuns: 2000 },
    );
  });

  it('at the edges of the split radices', () => {
    const edges = [0n, 1n, 57n, 58n, 58n ** 6n - 1n, 58n ** 6n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n,
      2n ** 53n + 1n, 576n ** 3n - 1n, 576n ** 3n, 576n ** 6n, U64_MAX - 1n, U64_MAX];
    for (const v of edges) {
      const id = new JobID(v);
      for (const prop of Object.values(PROPERTY)) expect(JobID.parse(id[prop]).value, `${prop} ${v}`).toBe(v);
    }
  });

  it('dothex is fixed width and hex has no leading zeros', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: U64_MAX }), (v) => {
        const id = new JobID(v);
        return /^[0-9a-f]{4}(\.[0-9a-f]{4}){3}$/.test(id.dothex) && /^0x(0|[1-9a-f][0-9a-f]*)$/.test(id.hex);
      }),
    );
  });
});
