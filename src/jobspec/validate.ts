/**
 * Jobspec V1 validation: the JSON Schema (compiled once, at module load, with ajv) plus the
 * cross-field rules a schema cannot express. Raw ajv errors are turned into short,
 * precise `{path, message}` issues.
 *
 * @module
 */
import { Ajv, type ErrorObject } from 'ajv';
import { parseFSD } from '../util/fsd.js';
import { JobspecValidationError } from './errors.js';
import { execStringIssues } from './exec-rules.js';
import { mpiOptionIssues } from './mpi-option.js';
import { childPointer, describeValue } from './pointer.js';
import { JOBSPEC_V1_SCHEMA } from './schema.js';
import type { JobspecIssue, JobspecV1Object, SlotVertex } from './types.js';

const ajv = new Ajv({
  allErrors: true,
  verbose: true,
  strict: true,
  strictNumbers: true,
  allowUnionTypes: true,
});

/** The compiled schema; `true` when `value` matches it. */
const matchesSchema = ajv.compile(JOBSPEC_V1_SCHEMA);

/**
 * Assert that `value` is a valid Jobspec V1 object (the schema, the cross-field rules and the
 * process-string rules of exec-rules.ts).
 *
 * @throws {@link JobspecValidationError} listing every problem found.
 */
export function assertJobspec(value: unknown): asserts value is JobspecV1Object {
  if (!matchesSchema(value)) throw new JobspecValidationError(schemaIssues(matchesSchema.errors ?? []));
  const crossField = crossFieldIssues(value as JobspecV1Object);
  const exec = execStringIssues(value as JobspecV1Object);
  const mpi = mpiOptionIssues(value as JobspecV1Object);
  if (crossField !== undefined || exec !== undefined || mpi !== undefined) {
    throw new JobspecValidationError([...(crossField ?? []), ...(exec ?? []), ...(mpi ?? [])]);
  }
}

// ---------------------------------------------------------------------------------------------
// Cross-field rules (only run on documents that match the schema).

/** Returns `undefined` when there is nothing to report (no allocation on the happy path). */
function crossFieldIssues(spec: JobspecV1Object): JobspecIssue[] | undefined {
  let issues: JobspecIssue[] | undefined;

  const top = spec.resources[0];
  const node = top.type === 'node' ? top : undefined;
  const slot: SlotVertex = top.type === 'node' ? top.with[0] : top;
  const slotPath = node === undefined ? '/resources/0/with' : '/resources/0/with/0/with';

  let cores = 0;
  let gpus = 0;
  for (const child of slot.with) {
    if (child.type === 'core') cores++;
    else gpus++;
  }
  if (cores !== 1) {
    const message =
      cores === 0
        ? "a slot must hold one 'core' resource (Jobspec V1 graphs are slot>core or slot>(core,gpu))"
        : `a slot must hold exactly one 'core' resource (got ${cores})`;
    (issues ??= []).push({ path: slotPath, message });
  }
  if (gpus > 1) {
    (issues ??= []).push({ path: slotPath, message: `a slot may hold at most one 'gpu' resource (got ${gpus})` });
  }

  const task = spec.tasks[0];
  if (task.slot !== slot.label) {
    (issues ??= []).push({
      path: '/tasks/0/slot',
      message: `must name the label of the slot, ${JSON.stringify(slot.label)} (got ${describeValue(task.slot)})`,
    });
  }
  if ('total' in task.count && node !== undefined && task.count.total < node.count) {
    (issues ??= []).push({
      path: '/tasks/0/count/total',
      message: `must be at least the node count, ${node.count} (got ${task.count.total})`,
    });
  }

  const runDuration = spec.attributes.system.exec?.test?.run_duration;
  if (typeof runDuration === 'string' && !isParsableFSD(runDuration)) {
    (issues ??= []).push({
      path: '/attributes/system/exec/test/run_duration',
      message: `is out of range (got ${describeValue(runDuration)})`,
    });
  }
  return issues;
}

/** The schema's pattern admits FSD strings whose value overflows (e.g. `1e999`); parseFSD does not. */
function isParsableFSD(text: string): boolean {
  try {
    parseFSD(text);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// ajv errors → issues.

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  object: 'an object',
  array: 'an array',
  boolean: 'a boolean',
  null: 'null',
};

/** A resource `count` anywhere in the resource graph. */
const RESOURCE_COUNT_PATH = /^\/resources\/\d+(?:\/with\/\d+)*\/count$/;
/** A resource `type` anywhere in the resource graph. */
const RESOURCE_TYPE_PATH = /^\/resources\/\d+(?:\/with\/\d+)*\/type$/;

function schemaIssues(errors: readonly ErrorObject[]): JobspecIssue[] {
  const first: JobspecIssue[] = [];
  const rest: JobspecIssue[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    const issue = toIssue(error);
    if (issue === undefined) continue;
    const id = `${issue.path}\u0000${issue.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    (issue.path === '/version' ? first : rest).push(issue);
  }
  const issues = first.concat(rest);
  return issues.length > 0 ? issues : [{ path: '', message: 'does not match the Jobspec V1 schema' }];
}

/** Convert one ajv error; `undefined` for errors that only repeat another one. */
function toIssue(error: ErrorObject): JobspecIssue | undefined {
  const path = error.instancePath;
  const params = error.params as Record<string, unknown>;
  const data: unknown = error.data;
  // `if` only says "the `then` branch failed": the branch's own errors say why.
  // Errors with `propertyName` are the inner errors of a `propertyNames` failure.
  if (error.keyword === 'if' || 'propertyName' in error) return undefined;

  switch (error.keyword) {
    case 'required':
      return { path, message: `missing required key '${String(params.missingProperty)}'` };

    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      return { path: childPointer(path, key), message: `unknown key '${key}'${allowedKeysHint(path, error)}` };
    }

    case 'propertyNames': {
      const name = String(params.propertyName);
      const what = path.endsWith('/environment') ? 'environment variable name' : 'name';
      const why = name === '' ? 'must not be empty' : "must not contain '='";
      return { path: childPointer(path, name), message: `invalid ${what} ${JSON.stringify(name)}: ${why}` };
    }

    case 'type':
      return { path, message: typeMessage(path, String(params.type), data) };

    case 'const':
      if (path === '/version') {
        return { path, message: `must be 1 (only Jobspec V1 is supported; got ${describeValue(data)})` };
      }
      if (RESOURCE_TYPE_PATH.test(path)) return { path, message: resourceTypeMessage([params.allowedValue], data) };
      return { path, message: `must be ${JSON.stringify(params.allowedValue)} (got ${describeValue(data)})` };

    case 'enum': {
      const allowed = Array.isArray(params.allowedValues) ? (params.allowedValues as unknown[]) : [];
      if (RESOURCE_TYPE_PATH.test(path)) return { path, message: resourceTypeMessage(allowed, data) };
      return { path, message: `must be one of ${quoteList(allowed)} (got ${describeValue(data)})` };
    }

    case 'minimum':
      return { path, message: `must be >= ${String(params.limit)} (got ${describeValue(data)})` };

    case 'maximum':
      return { path, message: `must be <= ${String(params.limit)} (got ${describeValue(data)})` };

    case 'minItems':
      return {
        path,
        message: params.limit === 1 ? 'must not be empty' : `must have at least ${String(params.limit)} items`,
      };

    case 'maxItems':
      return { path, message: maxItemsMessage(path, Number(params.limit), data) };

    case 'minProperties':
    case 'maxProperties':
      if (path.endsWith('/count')) {
        const keys = typeof data === 'object' && data !== null ? Object.keys(data) : [];
        const got = keys.length === 0 ? 'got none' : `got ${quoteList(keys, 'and')}`;
        return { path, message: `must have exactly one of 'per_slot' or 'total' (${got})` };
      }
      return { path, message: error.message ?? 'has the wrong number of keys' };

    case 'minLength':
      return {
        path,
        message: params.limit === 1 ? 'must not be empty' : `must be at least ${String(params.limit)} characters long`,
      };

    case 'pattern':
      if (path.endsWith('/run_duration')) {
        return {
          path,
          message: `must be seconds or a Flux Standard Duration such as '90s', '10m', '2h' or 'infinity' (got ${describeValue(data)})`,
        };
      }
      return { path, message: `must match ${String(params.pattern)} (got ${describeValue(data)})` };

    default:
      return { path, message: error.message ?? `fails the '${error.keyword}' rule` };
  }
}

function typeMessage(path: string, expected: string, data: unknown): string {
  const names = expected.split(',').map((name) => TYPE_NAMES[name] ?? name);
  const want = names.length > 1 ? names.join(' or ') : names[0]!;
  if (RESOURCE_COUNT_PATH.test(path) && expected === 'integer') {
    if (typeof data === 'object' && data !== null && !Array.isArray(data)) {
      return `must be a plain integer: range counts ({min, max, operator, operand}) belong to the canonical jobspec (RFC 14), Jobspec V1 needs a fixed count (got ${describeValue(data)})`;
    }
    if (typeof data === 'string') {
      return `must be a plain integer: count strings (idsets or ranges such as '2+') belong to the canonical jobspec (RFC 14), Jobspec V1 needs a fixed count (got ${describeValue(data)})`;
    }
  }
  if (RESOURCE_TYPE_PATH.test(path)) return `must be a string naming a resource type (got ${describeValue(data)})`;
  return `must be ${want} (got ${describeValue(data)})`;
}

function resourceTypeMessage(allowed: readonly unknown[], data: unknown): string {
  if (typeof data !== 'string') return `must be a string naming a resource type (got ${describeValue(data)})`;
  const where = allowed.includes('node') ? 'at the top level' : allowed.includes('core') ? 'inside a slot' : 'inside a node';
  return `resource type '${data}' is not allowed ${where} (Jobspec V1 allows only ${quoteList(allowed, 'or')} there)`;
}

function maxItemsMessage(path: string, limit: number, data: unknown): string {
  const got = Array.isArray(data) ? data.length : 0;
  if (path === '/resources') return `must hold exactly one resource, a node or a slot, in Jobspec V1 (got ${got})`;
  if (path === '/tasks') return `must hold exactly one task in Jobspec V1 (got ${got})`;
  if (path === '/resources/0/with' && Array.isArray(data) && limit === 1) {
    return `a node must hold exactly one slot in Jobspec V1 (got ${got} resources)`;
  }
  if (path.endsWith('/with')) return `a slot holds one core and optionally one gpu in Jobspec V1 (got ${got} resources)`;
  return `must have at most ${limit} items (got ${got})`;
}

function allowedKeysHint(path: string, error: ErrorObject): string {
  if (path === '/tasks/0/count' || /^\/tasks\/\d+\/count$/.test(path)) {
    return " (Jobspec V1 task counts are 'per_slot' or 'total'; 'per_resource' is canonical-jobspec only)";
  }
  const parent = error.parentSchema as { properties?: Record<string, unknown> } | undefined;
  const keys = parent?.properties === undefined ? [] : Object.keys(parent.properties);
  return keys.length > 0 ? ` (allowed: ${keys.join(', ')})` : '';
}

function quoteList(values: readonly unknown[], conjunction = 'or'): string {
  const quoted = values.map((value) => (typeof value === 'string' ? `'${value}'` : JSON.stringify(value)));
  if (quoted.length <= 1) return quoted.join('');
  return `${quoted.slice(0, -1).join(', ')} ${conjunction} ${quoted[quoted.length - 1]!}`;
}
