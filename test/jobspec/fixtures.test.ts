/**
 * The project's own jobspec fixtures (test/fixtures/jobspec, written from RFC 14 and RFC 25):
 * every `valid/` file is accepted, round-trips, and has the accessor values its `# expect:`
 * header gives; every `invalid/` file is rejected at the JSON pointer of its `# reject-at:`
 * header, with its `# message:` in the first issue (or, with `# parse-error:`, does not parse).
 */
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { Jobspec, JobspecParseError, JobspecValidationError } from '../../src/jobspec/index.js';
import { FLUX_CANONICAL_COVERED_BY, FLUX_INVALID_COVERED_BY, FLUX_INVALID_V1_COVERED_BY } from './flux-coverage.js';
import { expectUsefulRejection, fixtureHeader, ownFixture, ownFixtureFiles, thrown } from './helpers.js';

const validFiles = ownFixtureFiles('valid');
const invalidFiles = ownFixtureFiles('invalid');

describe('own fixtures: valid/', () => {
  it('are there (a fixed floor, so a lost folder fails)', () => {
    expect(validFiles.length).toBeGreaterThanOrEqual(23);
  });

  it.each(validFiles)('%s is accepted, round-trips and has its expected accessors', (name) => {
    const text = ownFixture('valid', name);
    const header = fixtureHeader(text);
    expect(header['reject-at'], name).toBeUndefined();
    const spec = Jobspec.parse(text);
    expect(spec.toJSON()).toEqual(parseYaml(text));
    expect(Jobspec.parse(spec.dumps()).toJSON()).toEqual(spec.toJSON());
    expect(Jobspec.parse(spec.dumps({ format: 'yaml' })).toJSON()).toEqual(spec.toJSON());
    if (header.expect !== undefined) {
      const expected = JSON.parse(header.expect) as Record<string, unknown>;
      const actual = Object.fromEntries(Object.keys(expected).map((key) => [key, (spec as unknown as Record<string, unknown>)[key]]));
      expect(actual).toEqual(expected);
    }
  });
});

describe('own fixtures: invalid/', () => {
  it('are there, and every file says where it must be rejected', () => {
    expect(invalidFiles.length).toBeGreaterThanOrEqual(115);
    for (const name of invalidFiles) {
      const header = fixtureHeader(ownFixture('invalid', name));
      const says = header['parse-error'] !== undefined || (header['reject-at'] !== undefined && header.message !== undefined);
      expect(says, `${name} has a reject-at and a message header, or a parse-error header`).toBe(true);
    }
  });

  it.each(invalidFiles)('%s', (name) => {
    const text = ownFixture('invalid', name);
    const header = fixtureHeader(text);
    const error = thrown(() => Jobspec.parse(text));
    const parseError = header['parse-error'];
    if (parseError !== undefined) {
      expect(error).toBeInstanceOf(JobspecParseError);
      const [, line, column] = /^line (\d+), column (\d+)$/.exec(parseError)!;
      expect([(error as JobspecParseError).line, (error as JobspecParseError).column]).toEqual([Number(line), Number(column)]);
      return;
    }
    expect(error).toBeInstanceOf(JobspecValidationError);
    const rejection = error as JobspecValidationError;
    expectUsefulRejection(rejection, name);
    expect(rejection.errors[0]!.path).toBe(header['reject-at']);
    expect(rejection.errors[0]!.message).toContain(header.message);
    // Each file breaks one rule (or says how many issues it has): no noise beside the real one.
    expect(rejection.errors.length).toBe(Number(header.errors ?? 1));
  });

  it('fromObject rejects the same documents at the same place as parse', () => {
    for (const name of invalidFiles) {
      const text = ownFixture('invalid', name);
      const header = fixtureHeader(text);
      if (header['parse-error'] !== undefined) continue;
      const error = thrown(() => Jobspec.fromObject(parseYaml(text)));
      expect(error, name).toBeInstanceOf(JobspecValidationError);
      expect((error as JobspecValidationError).errors[0]!.path, name).toBe(header['reject-at']);
    }
  });
});

describe('own fixtures cover every rule of the Flux conformance set', () => {
  const all = { ...FLUX_INVALID_V1_COVERED_BY, ...FLUX_INVALID_COVERED_BY, ...FLUX_CANONICAL_COVERED_BY };
  it.each(Object.entries(all))('Flux %s → own %s exists', (_flux, own) => {
    expect(invalidFiles).toContain(own);
  });
});
