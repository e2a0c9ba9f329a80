/**
 * Shared helpers of the jobspec tests: fixture locations and small assertions.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { JobspecValidationError } from '../../src/jobspec/index.js';

/** The repository root (this file is test/jobspec/helpers.ts). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The shared conformance data, next to the repository (never copied into it). */
export const conformanceDir = path.resolve(repoRoot, '..', 'shared', 'conformance');

/** The Flux jobspec fixtures. */
export const fixturesDir = path.join(conformanceDir, 'flux-jobspec');

/** Read one fixture file as text. */
export function fixture(folder: string, file: string): string {
  return readFileSync(path.join(fixturesDir, folder, file), 'utf8');
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

/** True when `value` and every object or array inside it is frozen. */
export function isDeepFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (!Object.isFrozen(value)) return false;
  return Object.values(value).every(isDeepFrozen);
}
