/**
 * Loads the Jobspec V1 JSON Schema (`schemas/jobspec-v1.schema.json` at the package root).
 *
 * The file is found by walking up from this module to the nearest directory holding a
 * `package.json`, so it resolves the same from `src/jobspec/` (tests) and from
 * `dist/src/jobspec/` (compiled) or an installed package.
 *
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCHEMA_FILE = join('schemas', 'jobspec-v1.schema.json');

function findPackageRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`jobfutures: no package.json above ${start}; cannot locate ${SCHEMA_FILE}`);
    }
    dir = parent;
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function loadSchema(): object {
  const root = findPackageRoot(dirname(fileURLToPath(import.meta.url)));
  const file = join(root, SCHEMA_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`jobfutures: cannot read the Jobspec V1 schema at ${file}`, { cause: error });
  }
  return deepFreeze(JSON.parse(text) as object);
}

/**
 * The Jobspec V1 JSON Schema (draft-07) this package validates against, deep-frozen. It covers
 * everything but three cross-field rules checked in code: the task's `slot` names the slot's
 * `label`, a slot holds exactly one core and at most one gpu, and `count.total` is at least
 * the node count.
 */
export const JOBSPEC_V1_SCHEMA: object = loadSchema();
