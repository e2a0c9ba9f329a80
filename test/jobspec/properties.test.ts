/**
 * Property tests (fast-check): valid specs round-trip; mutated or random input never makes
 * fromObject throw anything but JobspecValidationError; random builder options either build a
 * valid spec or throw InvalidArgumentError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/util/errors.js';
import { Jobspec, JobspecValidationError, type FromCommandOptions } from '../../src/jobspec/index.js';
import { parseFSD } from '../../src/util/fsd.js';
import { isDeepFrozen } from './helpers.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** JSON data without -0 (which JSON cannot carry). */
const json = (): fc.Arbitrary<Json> => fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.parse(JSON.stringify(value)) as Json);

const seconds = fc.oneof(fc.nat({ max: 1_000_000 }), fc.double({ min: 0, max: 1e7, noNaN: true })).map((x) => (x === 0 ? 0 : x));
const fsdText = fc
  .tuple(fc.nat({ max: 100_000 }), fc.constantFrom('', 's', 'm', 'h', 'd', 'ms'))
  .map(([n, unit]) => `${n}${unit}`);
const envName = fc.string({ minLength: 1, maxLength: 12 }).filter((name) => !name.includes('='));
const redirect = fc.record({ type: fc.constant('file' as const), path: fc.string({ minLength: 1, maxLength: 20 }) });

/** A command line: a non-empty program name, then up to `max - 1` arguments (an empty program is invalid). */
function argv(arg: fc.Arbitrary<string>, max: number): fc.Arbitrary<string[]> {
  return fc
    .tuple(arg.filter((program) => program !== ''), fc.array(arg, { maxLength: max - 1 }))
    .map(([program, args]) => [program, ...args]);
}

/** Optional keys: present or absent. */
function optional<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.option(arb, { nil: undefined });
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Any valid Jobspec V1 object, built from the rules (not from the builders). */
const validSpec: fc.Arbitrary<Record<string, unknown>> = fc
  .record({
    label: fc.string({ minLength: 1, maxLength: 10 }),
    cores: fc.integer({ min: 1, max: 128 }),
    gpus: optional(fc.nat({ max: 8 })),
    gpuFirst: fc.boolean(),
    slotCount: fc.integer({ min: 1, max: 64 }),
    slotExclusive: optional(fc.boolean()),
    slotUnit: optional(fc.string({ maxLength: 5 })),
    nodes: optional(fc.record({ count: fc.integer({ min: 1, max: 64 }), exclusive: optional(fc.boolean()) })),
    perSlot: fc.integer({ min: 1, max: 4 }),
    total: optional(fc.integer({ min: 0, max: 1000 })),
    command: argv(fc.string({ maxLength: 12 }), 5),
    system: fc.record(
      {
        duration: seconds,
        cwd: fc.string({ maxLength: 20 }),
        environment: fc.dictionary(envName, fc.string({ maxLength: 20 }), { maxKeys: 5 }),
        queue: fc.string({ maxLength: 8 }),
        job: fc.record({ name: fc.string({ maxLength: 10 }) }),
        shell: fc.record({
          options: fc.record({
            input: fc.record({ stdin: redirect }),
            output: fc.record({ stdout: redirect, stderr: redirect }, { requiredKeys: [] }),
            verbose: fc.nat({ max: 2 }),
          }, { requiredKeys: [] }),
        }),
        dependencies: fc.array(fc.record({ scheme: fc.string({ maxLength: 8 }), value: fc.string({ maxLength: 8 }) }), { maxLength: 2 }),
        constraints: fc.dictionary(fc.string({ maxLength: 8 }), json(), { maxKeys: 2 }),
        files: fc.dictionary(
          fc.string({ minLength: 1, maxLength: 8 }),
          fc.record(
            {
              data: fc.string({ maxLength: 40 }),
              encoding: fc.constantFrom('utf-8', 'base64'),
              mode: fc.integer({ min: 0, max: 0o7777 }),
            },
            { requiredKeys: ['data'] },
          ),
          { maxKeys: 2 },
        ),
        exec: fc.record({ test: fc.record({ run_duration: fc.oneof(seconds, fsdText) }) }),
        'preemptible-after': seconds,
        'site-specific': json(),
      },
      { requiredKeys: ['duration'] },
    ),
    user: optional(fc.dictionary(fc.string({ maxLength: 8 }), json(), { maxKeys: 4 })),
  })
  .map((r) => {
    const core = { type: 'core', count: r.cores };
    const gpu = r.gpus === undefined ? undefined : { type: 'gpu', count: r.gpus };
    const children = gpu === undefined ? [core] : r.gpuFirst ? [gpu, core] : [core, gpu];
    const slot = withoutUndefined({
      type: 'slot',
      count: r.slotCount,
      label: r.label,
      unit: r.slotUnit,
      exclusive: r.slotExclusive,
      with: children,
    });
    const top =
      r.nodes === undefined ? slot : withoutUndefined({ type: 'node', count: r.nodes.count, exclusive: r.nodes.exclusive, with: [slot] });
    const count = r.total === undefined ? { per_slot: r.perSlot } : { total: Math.max(r.total, r.nodes?.count ?? 1) };
    return {
      version: 1,
      resources: [top],
      tasks: [{ command: r.command, slot: r.label, count }],
      attributes: withoutUndefined({ system: r.system, user: r.user }),
    };
  });

describe('valid specs', () => {
  it('are accepted, deep-frozen and round-trip unchanged through toJSON/fromObject, JSON and YAML', () => {
    fc.assert(
      fc.property(validSpec, (obj) => {
        const spec = Jobspec.fromObject(obj);
        expect(spec.toJSON()).toEqual(obj);
        expect(isDeepFrozen(spec.toJSON())).toBe(true);
        expect(Jobspec.fromObject(spec.toJSON()).toJSON()).toEqual(obj);
        expect(Jobspec.parse(spec.dumps()).toJSON()).toEqual(obj);
        expect(Jobspec.parse(spec.dumps({ format: 'yaml' }), { format: 'yaml' }).toJSON()).toEqual(obj);
      }),
      { numRuns: 300 },
    );
  });

  it('have consistent accessors', () => {
    fc.assert(
      fc.property(validSpec, (obj) => {
        const spec = Jobspec.fromObject(obj);
        const top = (obj.resources as Array<Record<string, unknown>>)[0]!;
        const slot = (top.type === 'node' ? (top.with as Array<Record<string, unknown>>)[0]! : top) as {
          count: number;
          with: Array<{ type: string; count: number }>;
        };
        const nodes = top.type === 'node' ? (top.count as number) : undefined;
        const count = (obj.tasks as Array<{ count: { per_slot?: number; total?: number } }>)[0]!.count;
        expect(spec.numNodes).toBe(nodes);
        expect(spec.numSlots).toBe(slot.count * (nodes ?? 1));
        expect(spec.coresPerSlot).toBe(slot.with.find((child) => child.type === 'core')!.count);
        expect(spec.totalCores).toBe(spec.numSlots * spec.coresPerSlot);
        expect(spec.numTasks).toBe(count.total ?? count.per_slot! * spec.numSlots);
        expect(spec.coresPerTask).toBeGreaterThanOrEqual(1);
        expect(spec.coresPerTask).toBeLessThanOrEqual(spec.coresPerSlot);
        expect(spec.exclusive).toBe(top.exclusive === true && top.type === 'node');
        expect(spec.duration).toBe((obj.attributes as { system: { duration: number } }).system.duration);
      }),
      { numRuns: 200 },
    );
  });
});

describe('serialisation', () => {
  it('any strings (lone surrogates, YAML keywords, control characters) survive JSON and YAML', () => {
    const text = fc.oneof(
      // Without NUL, which no process string may hold (exec-strings.test.ts).
      fc.string({ unit: 'binary', maxLength: 12 }).filter((value) => !value.includes('\0')),
      fc.constantFrom('null', '~', 'yes', 'no', 'on', '0o17', '.inf', '.nan', '1e3', '0x10', 'a: b', '- x', '#c', '{{id}}', '', ' '),
    );
    fc.assert(
      fc.property(argv(text, 4), fc.dictionary(text.filter((k) => k !== '' && !k.includes('=')), text), (cmd, env) => {
        const spec = Jobspec.fromCommand(cmd, { environment: env });
        expect(Jobspec.parse(spec.dumps({ format: 'yaml' })).toJSON()).toEqual(spec.toJSON());
        expect(Jobspec.parse(spec.dumps()).toJSON()).toEqual(spec.toJSON());
      }),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Mutations

type Path = Array<string | number>;

function paths(value: unknown, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(value)) value.forEach((child, i) => out.push(...paths(child, [...prefix, i])));
  else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) out.push(...paths(child, [...prefix, key]));
  }
  return out;
}

type Mutation =
  | { kind: 'delete' }
  | { kind: 'set'; value: unknown }
  | { kind: 'add-key'; key: string; value: unknown }
  | { kind: 'push'; value: unknown }
  | { kind: 'empty' };

const badValues = fc.oneof(
  fc.constantFrom<unknown>(0, -1, 1.5, '1', '2+', null, true, [], {}, 'x', { min: 1 }, { min: 1, max: 2, operator: '+', operand: 1 }, 2 ** 53, -0),
  json(),
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant({ kind: 'delete' as const }),
  badValues.map((value) => ({ kind: 'set' as const, value })),
  fc.tuple(fc.constantFrom('extra', 'per_resource', 'id', 'with', 'label', 'system', '__proto__'), badValues).map(([key, value]) => ({
    kind: 'add-key' as const,
    key,
    value,
  })),
  badValues.map((value) => ({ kind: 'push' as const, value })),
  fc.constant({ kind: 'empty' as const }),
);

function mutate(root: Record<string, unknown>, path: Path, change: Mutation): unknown {
  const copy = JSON.parse(JSON.stringify(root)) as Record<string, unknown>;
  if (path.length === 0) return change.kind === 'set' ? change.value : copy;
  let parent: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  const target = parent[last];
  switch (change.kind) {
    case 'delete':
      if (Array.isArray(parent)) parent.splice(last as number, 1);
      else delete parent[last];
      break;
    case 'set':
      parent[last] = change.value;
      break;
    case 'add-key':
      if (typeof target === 'object' && target !== null && !Array.isArray(target)) {
        Object.defineProperty(target, change.key, { value: change.value, enumerable: true, writable: true, configurable: true });
      } else parent[last] = change.value;
      break;
    case 'push':
      if (Array.isArray(target)) target.push(change.value);
      else parent[last] = [target, change.value];
      break;
    case 'empty':
      parent[last] = Array.isArray(target) ? [] : typeof target === 'object' && target !== null ? {} : '';
      break;
  }
  return copy;
}

/** Resolve a JSON pointer: true when every token names an existing key or index. */
function resolves(root: unknown, pointer: string): boolean {
  if (pointer === '') return true;
  if (!pointer.startsWith('/')) return false;
  let node = root;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, token)) return false;
    node = (node as Record<string, unknown>)[token];
  }
  return true;
}

function expectAcceptedOrPreciselyRejected(input: unknown): 'accepted' | 'rejected' {
  let spec: Jobspec;
  try {
    spec = Jobspec.fromObject(input);
  } catch (error) {
    expect(error).toBeInstanceOf(JobspecValidationError);
    const issues = (error as JobspecValidationError).errors;
    expect(issues.length).toBeGreaterThan(0);
    for (const issue of issues) {
      expect(issue.message.length).toBeGreaterThan(0);
      expect(resolves(input, issue.path), `${issue.path} resolves in the input`).toBe(true);
    }
    return 'rejected';
  }
  expect(spec.toJSON()).toEqual(input);
  expect(Jobspec.fromObject(spec.toJSON()).toJSON()).toEqual(spec.toJSON());
  return 'accepted';
}

describe('mutated specs', () => {
  it('are accepted (and round-trip) or rejected with JobspecValidationError issues that point into the input', () => {
    const outcomes = { accepted: 0, rejected: 0 };
    fc.assert(
      fc.property(
        validSpec.chain((obj) => fc.tuple(fc.constant(obj), fc.constantFrom(...paths(obj)), mutation)),
        ([obj, path, change]) => {
          outcomes[expectAcceptedOrPreciselyRejected(mutate(obj, path, change))]++;
        },
      ),
      { numRuns: 1500 },
    );
    // Both branches must be exercised for the property to mean something.
    expect(outcomes.accepted).toBeGreaterThan(50);
    expect(outcomes.rejected).toBeGreaterThan(500);
  });

  it('zero and negative counts anywhere in the resource graph are rejected', () => {
    fc.assert(
      fc.property(validSpec, fc.constantFrom(0, -1), (obj, bad) => {
        const countPaths = paths(obj).filter(
          (path) => path[0] === 'resources' && path[path.length - 1] === 'count' && !path.includes('attributes'),
        );
        for (const path of countPaths) {
          const parentPath = path.slice(0, -1);
          let vertex: unknown = obj;
          for (const key of parentPath) vertex = (vertex as Record<string | number, unknown>)[key];
          if ((vertex as { type: string }).type === 'gpu' && bad === 0) continue; // gpu count 0 is valid
          const mutated = mutate(obj, path, { kind: 'set', value: bad });
          const error = (() => {
            try {
              Jobspec.fromObject(mutated);
            } catch (e) {
              return e;
            }
            return undefined;
          })();
          expect(error).toBeInstanceOf(JobspecValidationError);
          expect((error as JobspecValidationError).errors[0]!.path).toBe(`/${path.join('/')}`);
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('arbitrary values', () => {
  const anything = fc.anything({
    maxDepth: 4,
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withObjectString: true,
    withSparseArray: true,
    withTypedArray: true,
  });

  it('never make fromObject throw anything but JobspecValidationError', () => {
    fc.assert(
      fc.property(anything, (value) => {
        try {
          Jobspec.fromObject(value);
        } catch (error) {
          expect(error).toBeInstanceOf(JobspecValidationError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('inserted anywhere in a valid spec, are accepted or rejected with JobspecValidationError', () => {
    fc.assert(
      fc.property(
        validSpec.chain((obj) => fc.tuple(fc.constant(obj), fc.constantFrom(...paths(obj).filter((p) => p.length > 0)), anything)),
        ([obj, path, value]) => {
          const copy = JSON.parse(JSON.stringify(obj)) as Record<string, unknown>;
          let parent: Record<string | number, unknown> = copy;
          for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
          parent[path[path.length - 1]!] = value;
          try {
            Jobspec.fromObject(copy);
          } catch (error) {
            expect(error).toBeInstanceOf(JobspecValidationError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Builders

const maybeBad = <T>(good: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 30, arbitrary: good as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: fc.constantFrom<unknown>(0, -3, 1.5, NaN, '2', null, {}, true) });

const commandOptions = fc.record(
  {
    numTasks: maybeBad(fc.integer({ min: 1, max: 64 })),
    coresPerTask: maybeBad(fc.integer({ min: 1, max: 16 })),
    gpusPerTask: maybeBad(fc.integer({ min: 0, max: 4 })),
    numNodes: maybeBad(fc.integer({ min: 1, max: 16 })),
    exclusive: maybeBad(fc.boolean()),
    duration: maybeBad(fc.oneof(seconds, fsdText, fc.constantFrom('-1m', 'inf', '5w', Infinity))),
    environment: maybeBad(fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 })),
    cwd: maybeBad(fc.string({ maxLength: 10 })),
    name: maybeBad(fc.string({ maxLength: 10 })),
    input: maybeBad(fc.string({ maxLength: 10 })),
    output: maybeBad(fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('none', 'kvs', 'o-{{id}}'))),
    error: maybeBad(fc.string({ maxLength: 10 })),
    queue: maybeBad(fc.string({ maxLength: 10 })),
  },
  { requiredKeys: [] },
);

const command = fc.oneof(
  { weight: 8, arbitrary: argv(fc.string({ maxLength: 10 }), 4) as fc.Arbitrary<unknown> },
  { weight: 1, arbitrary: fc.constantFrom<unknown>([], ['a', 1], 'ls', null) },
);

describe('fromCommand with random options', () => {
  it('builds a valid spec matching the options, or throws InvalidArgumentError naming the argument', () => {
    const outcomes = { built: 0, refused: 0 };
    fc.assert(
      fc.property(command, commandOptions, (cmd, opts) => {
        let spec: Jobspec;
        try {
          spec = Jobspec.fromCommand(cmd as string[], opts as FromCommandOptions);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidArgumentError);
          expect((error as InvalidArgumentError).argument).toMatch(/^(command|opts\.[a-zA-Z]+)$/);
          outcomes.refused++;
          return;
        }
        outcomes.built++;
        const o = opts as FromCommandOptions;
        const numTasks = o.numTasks ?? 1;
        expect(spec.command).toEqual(cmd);
        expect(spec.numTasks).toBe(numTasks);
        expect(spec.coresPerTask).toBe(o.coresPerTask ?? 1);
        expect(spec.gpusPerTask).toBe(o.gpusPerTask ?? 0);
        expect(spec.numNodes).toBe(o.numNodes);
        expect(spec.exclusive).toBe(o.exclusive ?? false);
        expect(spec.duration).toBe(o.duration === undefined ? 0 : parseFSD(o.duration));
        expect(spec.numSlots).toBeGreaterThanOrEqual(numTasks);
        expect(spec.environment).toEqual(o.environment);
        expect([spec.cwd, spec.name, spec.queue, spec.stdin]).toEqual([o.cwd, o.name, o.queue, o.input]);
        if (o.numNodes !== undefined) {
          const slot = (spec.toJSON().resources[0] as unknown as { with: [{ count: number }] }).with[0];
          expect(slot.count).toBe(Math.ceil(numTasks / o.numNodes));
          expect(spec.toJSON().tasks[0].count).toEqual(numTasks % o.numNodes === 0 ? { per_slot: 1 } : { total: numTasks });
        } else {
          expect(spec.numSlots).toBe(numTasks);
        }
        expect(isDeepFrozen(spec.toJSON())).toBe(true);
        expect(Jobspec.fromObject(spec.toJSON()).toJSON()).toEqual(spec.toJSON());
      }),
      { numRuns: 1000 },
    );
    expect(outcomes.built).toBeGreaterThan(100);
    expect(outcomes.refused).toBeGreaterThan(100);
  });

  it('fromBatchCommand builds a valid spec or throws InvalidArgumentError', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 30 }).map((body) => `#!/bin/sh\n${body}`), fc.string({ maxLength: 10 })),
        fc.option(fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }), { nil: undefined }),
        commandOptions,
        (script, args, opts) => {
          try {
            const spec = Jobspec.fromBatchCommand(script, { ...(opts as FromCommandOptions), args });
            expect(spec.batchScript).toBe(script);
            expect(spec.command).toEqual(['{{tmpdir}}/script', ...(args ?? [])]);
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidArgumentError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
