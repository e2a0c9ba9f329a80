/**
 * Shared helpers of the jobspec tests: fixture locations and small assertions.
 *
 * The project's own fixtures (test/fixtures/, always there) are what the tests require. Flux's
 * conformance set in ../shared/conformance (next to the repository, never copied into it) is
 * optional: tests run it in addition when it is there.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { JobspecValidationError } from '../../src/jobspec/index.js';

/** The repository root (this file is test/jobspec/helpers.ts). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The project's own fixtures (test/fixtures/README.md describes them). */
export const ownFixturesDir = path.join(repoRoot, 'test', 'fixtures');

/** The project's own jobspec fixtures: `valid/` and `invalid/`. */
export const ownJobspecDir = path.join(ownFixturesDir, 'jobspec');

/** The shared conformance data, next to the repository; may be absent (a plain clone). */
export const conformanceDir = path.resolve(repoRoot, '..', 'shared', 'conformance');

/** The Flux jobspec fixtures (optional). */
export const fixturesDir = path.join(conformanceDir, 'flux-jobspec');

const warned = new Set<string>();

/**
 * True when the optional Flux conformance set `part` (`flux-jobspec`, `flux-jobid`) is present.
 * When it is not, prints one loud line (once per part and test file) and returns false: the
 * tests of the project's own fixtures run regardless.
 */
export function fluxConformanceAvailable(part: 'flux-jobspec' | 'flux-jobid'): boolean {
  const dir = path.join(conformanceDir, part);
  if (existsSync(dir)) return true;
  if (!warned.has(part)) {
    warned.add(part);
    console.warn(
      `WARNING: Flux conformance set ${dir} not found: its tests are skipped; the project's own fixtures in test/fixtures still run (the Flux set is optional).`,
    );
  }
  return false;
}

/** Read one Flux fixture file as text (only when {@link fluxConformanceAvailable}). */
export function fixture(folder: string, file: string): string {
  return readFileSync(path.join(fixturesDir, folder, file), 'utf8');
}

/** Read one of the project's own jobspec fixtures (`valid` or `invalid`) as text. */
export function ownFixture(folder: 'valid' | 'invalid', file: string): string {
  return readFileSync(path.join(ownJobspecDir, folder, file), 'utf8');
}

/** The `.yaml` files of one of the project's own jobspec fixture folders, sorted. */
export function ownFixtureFiles(folder: 'valid' | 'invalid'): string[] {
  return readdirSync(path.join(ownJobspecDir, folder))
    .filter((name) => name.endsWith('.yaml'))
    .sort();
}

/**
 * The `# key: value` comment lines heading a fixture file, up to the first other line. A value
 * written as a JSON string (`"..."`, for values with control characters) is decoded.
 */
export function fixtureHeader(text: string): Record<string, string> {
  const header: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^# ([a-z-]+): (.*)$/.exec(line);
    if (match === null) {
      if (line.startsWith('#')) continue;
      break;
    }
    const value = match[2]!;
    header[match[1]!] = value.length > 1 && value.startsWith('"') && value.endsWith('"') ? (JSON.parse(value) as string) : value;
  }
  return header;
}

/** Run `fn` and return what it threw (fails the test if it did not throw). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  expect.fail('expected an exception');
}

/** Run `fn`, expect a JobspecValidationError and return it. */
export function validationError(fn: () => unknown): JobspecValidationError {
  const error = thrown(fn);
  expect(error).toBeInstanceOf(JobspecValidationError);
  return error as JobspecValidationError;
}

/**
 * A rejection must say where (a JSON pointer) and what; only a key missing at the document
 * root has the root (`''`) as its place, and then its message names the key.
 */
export function expectUsefulRejection(error: JobspecValidationError, file: string): void {
  expect(error.code, file).toBe('ERR_JOBSPEC_INVALID');
  expect(error.errors.length, file).toBeGreaterThan(0);
  for (const issue of error.errors) {
    expect(issue.path, file).toMatch(/^(?:\/[^/]*)*$/);
    expect(issue.message.length, file).toBeGreaterThan(0);
  }
  const first = error.errors[0]!;
  if (first.path === '') expect(first.message, file).toMatch(/^(missing required key '[a-z]+'|must be an object \(got .*\))$/);
  expect(error.message, file).toContain(`invalid jobspec: ${first.path === '' ? '' : `${first.path}: `}${first.message}`);
}

/** True when `value` and every object or array inside it is frozen. */
export function isDeepFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (!Object.isFrozen(value)) return false;
  return Object.values(value).every(isDeepFrozen);
}
