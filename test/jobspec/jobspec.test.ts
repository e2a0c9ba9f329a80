/**
 * The Jobspec class: fromObject, parse, dumps, attributes, immutability, accessors, errors.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { InvalidArgumentError, JobfuturesError } from '../../src/util/errors.js';
import {
  Jobspec,
  JOBSPEC_V1_SCHEMA,
  JobspecParseError,
} from '../../src/jobspec/index.js';
import { isDeepFrozen, ownFixture, repoRoot, thrown, validationError } from './helpers.js';

/** A mutable, valid V1 object (node 2 > slot 2 > core 2 + gpu 1). */
function validObject(): Record<string, unknown> {
  return {
    version: 1,
    resources: [
      {
        type: 'node',
        count: 2,
        with: [
          {
            type: 'slot',
            count: 2,
            label: 'task',
            with: [
              { type: 'core', count: 2 },
              { type: 'gpu', count: 1 },
            ],
          },
        ],
      },
    ],
    tasks: [{ command: ['app', '-v'], slot: 'task', count: { per_slot: 1 } }],
    attributes: { system: { duration: 60, cwd: '/w' }, user: { tag: 'x' } },
  };
}

function parseFailure(fn: () => unknown): JobspecParseError {
  const error = thrown(fn);
  expect(error).toBeInstanceOf(JobspecParseError);
  return error as JobspecParseError;
}

describe('fromObject', () => {
  it('accepts a valid object, copies it and leaves the argument alone', () => {
    const obj = validObject();
    const spec = Jobspec.fromObject(obj);
    expect(spec.toJSON()).toEqual(obj);
    expect(spec.toJSON()).not.toBe(obj);
    expect(Object.isFrozen(obj)).toBe(false);
    (obj.attributes as { system: { duration: number } }).system.duration = 1;
    expect(spec.duration).toBe(60);
  });

  it('returns a Jobspec instance as is', () => {
    const spec = Jobspec.fromCommand(['app']);
    expect(Jobspec.fromObject(spec)).toBe(spec);
  });

  it.each([null, undefined, 0, 'jobspec', true, [], [validObject()], new Date(0), new Map()])(
    'rejects %j with a JobspecValidationError at the root',
    (value) => {
      const error = validationError(() => Jobspec.fromObject(value));
      expect(error.errors[0]!.path).toBe('');
      expect(error.message).toMatch(/^invalid jobspec: /);
    },
  );

  it('rejects non-JSON data with its path', () => {
    const cases: Array<[(obj: Record<string, unknown>) => void, string, RegExp]> = [
      [(o) => ((o.attributes as Record<string, unknown>).user = { f: () => 1 }), '/attributes/user/f', /must be JSON data \(got a function\)/],
      [(o) => ((o.attributes as Record<string, unknown>).user = { n: NaN }), '/attributes/user/n', /must be a finite number \(got NaN\)/],
      [(o) => ((o.attributes as Record<string, unknown>).user = { u: undefined }), '/attributes/user/u', /must be JSON data \(got undefined\)/],
      [(o) => ((o.attributes as Record<string, unknown>).user = { b: 1n }), '/attributes/user/b', /must be JSON data \(got 1\)/],
      [(o) => ((o.attributes as Record<string, unknown>).user = { d: new Date(0) }), '/attributes/user/d', /plain object or array \(got a Date\)/],
      // eslint-disable-next-line no-sparse-arrays
      [(o) => ((o.attributes as Record<string, unknown>).user = { s: [1, , 3] }), '/attributes/user/s/1', /sparse array/],
      [(o) => ((o.attributes as Record<string, unknown>).user = { 'a/b~c': Infinity }), '/attributes/user/a~1b~0c', /finite/],
    ];
    for (const [mutate, where, what] of cases) {
      const obj = validObject();
      mutate(obj);
      const error = validationError(() => Jobspec.fromObject(obj));
      expect(error.errors).toHaveLength(1);
      expect(error.errors[0]!.path).toBe(where);
      expect(error.errors[0]!.message).toMatch(what);
    }
  });

  it('rejects cycles instead of overflowing the stack', () => {
    const obj = validObject();
    const user: Record<string, unknown> = {};
    user.self = user;
    (obj.attributes as Record<string, unknown>).user = user;
    expect(validationError(() => Jobspec.fromObject(obj)).errors).toEqual([
      { path: '/attributes/user/self', message: 'is a circular reference' },
    ]);
  });

  it('accepts shared (non-cyclic) references, as YAML aliases make', () => {
    const obj = validObject();
    const shared = { a: 1 };
    (obj.attributes as Record<string, unknown>).user = { x: shared, y: shared };
    expect(Jobspec.fromObject(obj).getAttribute('user.y')).toEqual({ a: 1 });
  });

  it('rejects absurdly deep nesting with a JobspecValidationError', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 5000; i++) deep = [deep];
    const obj = validObject();
    (obj.attributes as Record<string, unknown>).user = { deep };
    expect(validationError(() => Jobspec.fromObject(obj)).errors[0]!.message).toMatch(/nested too deeply/);
  });

  it('turns throwing getters and proxies into a JobspecValidationError', () => {
    const obj = validObject();
    Object.defineProperty(obj, 'tasks', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    const error = validationError(() => Jobspec.fromObject(obj));
    expect(error.message).toBe('invalid jobspec: cannot be read (boom)');
    expect(error.cause).toBeInstanceOf(Error);

    const proxy = new Proxy(validObject(), {
      ownKeys() {
        throw new TypeError('no keys');
      },
    });
    expect(validationError(() => Jobspec.fromObject(proxy)).message).toMatch(/no keys/);

    const hostile = new Proxy(
      {},
      {
        getPrototypeOf() {
          throw new Error('no prototype');
        },
      },
    );
    expect(validationError(() => Jobspec.fromObject(hostile)).message).toMatch(/no prototype/);
  });

  it('keeps numbers exactly as given, -0 included (JSON text writes it as 0)', () => {
    const obj = validObject();
    (obj.attributes as { system: { duration: number } }).system.duration = -0;
    const spec = Jobspec.fromObject(obj);
    expect(Object.is(spec.duration, -0)).toBe(true);
    expect(spec.toJSON()).toEqual(obj);
    expect(Object.is(Jobspec.parse(spec.dumps()).duration, 0)).toBe(true);
  });

  it('keeps a "__proto__" key as data without touching prototypes', () => {
    const obj = JSON.parse(
      JSON.stringify(validObject()).replace('"user":{"tag":"x"}', '"user":{"__proto__":{"polluted":true}}'),
    ) as Record<string, unknown>;
    const spec = Jobspec.fromObject(obj);
    const user = spec.getAttribute('attributes.user') as Record<string, unknown>;
    expect(Object.getPrototypeOf(user)).toBe(Object.prototype);
    expect(Object.keys(user)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.parse(spec.dumps())).toEqual(obj);
  });
});

describe('validation messages', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests poke at arbitrary paths
  function firstIssue(mutate: (obj: Record<string, any>) => void): [string, string, string] {
    const obj = validObject();
    mutate(obj);
    const error = validationError(() => Jobspec.fromObject(obj));
    return [error.errors[0]!.path, error.errors[0]!.message, error.message];
  }

  it('version other than 1', () => {
    expect(firstIssue((o) => (o.version = 999))).toEqual([
      '/version',
      'must be 1 (only Jobspec V1 is supported; got 999)',
      'invalid jobspec: /version: must be 1 (only Jobspec V1 is supported; got 999)',
    ]);
  });

  it('the first error leads, the rest are counted', () => {
    const obj = validObject();
    obj.version = 2;
    (obj.tasks as Array<Record<string, unknown>>)[0]!.command = [];
    obj.extra = true;
    const error = validationError(() => Jobspec.fromObject(obj));
    expect(error.errors.length).toBe(3);
    expect(error.message).toBe('invalid jobspec: /version: must be 1 (only Jobspec V1 is supported; got 2) (and 2 more)');
    expect(error.errors).toContainEqual({ path: '/tasks/0/command', message: 'must not be empty' });
    expect(error.errors).toContainEqual({ path: '/extra', message: "unknown key 'extra' (allowed: version, resources, tasks, attributes)" });
  });

  it('empty command', () => {
    expect(firstIssue((o) => (o.tasks[0].command = []))[2]).toBe('invalid jobspec: /tasks/0/command: must not be empty');
  });

  it('missing required key: path of the parent', () => {
    expect(firstIssue((o) => delete o.attributes.system.duration).slice(0, 2)).toEqual([
      '/attributes/system',
      "missing required key 'duration'",
    ]);
    expect(firstIssue((o) => delete o.version)[2]).toBe("invalid jobspec: missing required key 'version'");
  });

  it('unknown keys: path of the key', () => {
    expect(firstIssue((o) => (o.resources[0].with[0].with[0].id = 'x')).slice(0, 2)).toEqual([
      '/resources/0/with/0/with/0/id',
      "unknown key 'id' (allowed: type, count, unit)",
    ]);
  });

  it('range counts are canonical-only', () => {
    const [where, what] = firstIssue((o) => (o.resources[0].count = { min: 1, max: 4 }));
    expect(where).toBe('/resources/0/count');
    expect(what).toMatch(/^must be a plain integer: range counts \(\{min, max, operator, operand\}\) belong to the canonical jobspec/);
  });

  it('cross-field rules', () => {
    expect(firstIssue((o) => (o.tasks[0].slot = 'other')).slice(0, 2)).toEqual([
      '/tasks/0/slot',
      'must name the label of the slot, "task" (got "other")',
    ]);
    expect(firstIssue((o) => (o.resources[0].with[0].with = [{ type: 'gpu', count: 1 }])).slice(0, 2)).toEqual([
      '/resources/0/with/0/with',
      "a slot must hold one 'core' resource (Jobspec V1 graphs are slot>core or slot>(core,gpu))",
    ]);
    expect(
      firstIssue((o) => (o.resources[0].with[0].with = [{ type: 'core', count: 1 }, { type: 'core', count: 1 }])).slice(0, 2),
    ).toEqual(['/resources/0/with/0/with', "a slot must hold exactly one 'core' resource (got 2)"]);
    expect(
      firstIssue((o) => (o.resources[0].with[0].with = [{ type: 'gpu', count: 1 }, { type: 'core', count: 1 }, { type: 'gpu', count: 1 }]))[1],
    ).toMatch(/a slot holds one core and optionally one gpu/);
    expect(firstIssue((o) => (o.tasks[0].count = { total: 1 })).slice(0, 2)).toEqual([
      '/tasks/0/count/total',
      'must be at least the node count, 2 (got 1)',
    ]);
  });

  it('environment values and names', () => {
    expect(firstIssue((o) => (o.attributes.system.environment = { A: 1 })).slice(0, 2)).toEqual([
      '/attributes/system/environment/A',
      'must be a string (got 1)',
    ]);
    expect(firstIssue((o) => (o.attributes.system.environment = { 'A=B': 'x' })).slice(0, 2)).toEqual([
      '/attributes/system/environment/A=B',
      'invalid environment variable name "A=B": must not contain \'=\'',
    ]);
  });

  it('a bad environment variable name is reported once', () => {
    const obj = validObject();
    (obj.attributes as { system: Record<string, unknown> }).system.environment = { 'A=B': 'x', OK: 'y' };
    expect(validationError(() => Jobspec.fromObject(obj)).errors).toEqual([
      { path: '/attributes/system/environment/A=B', message: 'invalid environment variable name "A=B": must not contain \'=\'' },
    ]);
  });

  it('redirects, files, run_duration', () => {
    expect(firstIssue((o) => (o.attributes.system.shell = { options: { output: { stdout: { type: 'kvs' } } } })).slice(0, 2)).toEqual([
      '/attributes/system/shell/options/output/stdout',
      "missing required key 'path'",
    ]);
    expect(firstIssue((o) => (o.attributes.system.files = { s: { data: 'x', mode: 99999 } })).slice(0, 2)).toEqual([
      '/attributes/system/files/s/mode',
      'must be <= 4095 (got 99999)',
    ]);
    expect(firstIssue((o) => (o.attributes.system.exec = { test: { run_duration: '5 minutes' } }))[1]).toMatch(
      /^must be seconds or a Flux Standard Duration/,
    );
    expect(firstIssue((o) => (o.attributes.system.exec = { test: { run_duration: '1e999' } }))[1]).toMatch(/out of range/);
    expect(firstIssue((o) => (o.attributes.system.exec = { test: { run_duration: -1 } }))[1]).toBe('must be >= 0 (got -1)');
  });

  it('JobspecValidationError is a frozen, typed JobfuturesError', () => {
    const error = validationError(() => Jobspec.fromObject({}));
    expect(error).toBeInstanceOf(JobfuturesError);
    expect(error.name).toBe('JobspecValidationError');
    expect(error.code).toBe('ERR_JOBSPEC_INVALID');
    expect(Object.isFrozen(error.errors)).toBe(true);
    expect(error.errors.map((issue) => issue.message)).toEqual([
      "missing required key 'version'",
      "missing required key 'resources'",
      "missing required key 'tasks'",
      "missing required key 'attributes'",
    ]);
  });
});

describe('parse', () => {
  const json = JSON.stringify(validObject());

  it('reads JSON and YAML, by default guessing from the first character', () => {
    expect(Jobspec.parse(json).toJSON()).toEqual(validObject());
    expect(Jobspec.parse(json, { format: 'json' }).toJSON()).toEqual(validObject());
    const yamlText = ownFixture('valid', 'slots_of_two_cores.yaml');
    expect(Jobspec.parse(yamlText).toJSON()).toEqual(parseYaml(yamlText));
    expect(Jobspec.parse(yamlText, { format: 'yaml' }).numTasks).toBe(10);
    expect(Jobspec.parse(`  \n${json}`).duration).toBe(60);
  });

  it("auto falls back to YAML for flow-style documents that are not strict JSON", () => {
    const flow = "{version: 1, resources: [{type: slot, count: 1, label: task, with: [{type: core, count: 1}]}], tasks: [{command: [app], slot: task, count: {per_slot: 1}}], attributes: {system: {duration: 0}}}";
    expect(Jobspec.parse(flow).command).toEqual(['app']);
    expect(parseFailure(() => Jobspec.parse(flow, { format: 'json' })).line).toBe(1);
  });

  it('JSON syntax errors carry the line and column', () => {
    const text = '{\n  "version": 1,\n  "tasks": [x]\n}';
    const error = parseFailure(() => Jobspec.parse(text, { format: 'json' }));
    expect([error.line, error.column]).toEqual([3, 13]);
    expect(error.code).toBe('ERR_JOBSPEC_PARSE');
    expect(error.message).toMatch(/^cannot parse jobspec JSON at line 3, column 13: /);

    expect(pick(parseFailure(() => Jobspec.parse('{"a": 1,}', { format: 'json' })))).toEqual([1, 9]);
    expect(pick(parseFailure(() => Jobspec.parse('{"a": "b\n"}', { format: 'json' })))).toEqual([1, 9]);
    expect(pick(parseFailure(() => Jobspec.parse('', { format: 'json' })))).toEqual([1, 1]);
    expect(pick(parseFailure(() => Jobspec.parse('{"a": [1, 2', { format: 'json' })))).toEqual([1, 12]);
    expect(pick(parseFailure(() => Jobspec.parse('{"a": 01}', { format: 'json' })))).toEqual([1, 8]);
  });

  it('YAML syntax errors carry the line and column', () => {
    const error = parseFailure(() => Jobspec.parse('version: 1\ntasks:\n  - [a\n'));
    expect(error.line).toBeGreaterThanOrEqual(3);
    expect(pick(parseFailure(() => Jobspec.parse('a: 1\na: 2\n')))).toEqual([2, 1]);
    expect(parseFailure(() => Jobspec.parse('a: 1\n---\nb: 2\n')).message).toMatch(/multiple documents/);
  });

  it('refuses YAML alias bombs', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      bomb.push(`${name}: &${name} [*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev}]`);
    }
    expect(parseFailure(() => Jobspec.parse(bomb.join('\n'))).message).toMatch(/alias/i);
  });

  it('YAML values outside JSON (.inf, !!binary) are validation errors', () => {
    const text = ownFixture('valid', 'slots_of_two_cores.yaml').replace('duration: 3600', 'duration: .inf');
    expect(validationError(() => Jobspec.parse(text)).errors[0]).toEqual({
      path: '/attributes/system/duration',
      message: 'must be a finite number (got Infinity)',
    });
    const binary = ownFixture('valid', 'slots_of_two_cores.yaml').replace('    cwd: /home/user', '    cwd: !!binary aGVsbG8=');
    expect(validationError(() => Jobspec.parse(binary)).errors[0]!.path).toBe('/attributes/system/cwd');
  });

  it('valid syntax but not a jobspec is a validation error', () => {
    expect(validationError(() => Jobspec.parse('')).errors[0]).toEqual({ path: '', message: 'must be an object (got null)' });
    expect(validationError(() => Jobspec.parse('[]')).errors[0]!.path).toBe('');
  });

  it('rejects bad arguments', () => {
    expect((thrown(() => Jobspec.parse(5 as unknown as string)) as InvalidArgumentError).argument).toBe('text');
    const error = thrown(() => Jobspec.parse(json, { format: 'toml' as 'json' }));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe('opts.format');
  });
});

function pick(error: JobspecParseError): [number, number] {
  return [error.line, error.column];
}

describe('dumps', () => {
  const spec = Jobspec.fromCommand(['echo', 'a: b', '{{id}}', '123', 'true', ''], {
    numTasks: 3,
    numNodes: 2,
    environment: { A: '1', B: 'multi\nline' },
    output: 'out-{{id}}.log',
    duration: 0.5,
  });

  it('defaults to compact JSON', () => {
    const text = spec.dumps();
    expect(text).not.toMatch(/\n/);
    expect(text).toBe(JSON.stringify(spec.toJSON()));
    expect(JSON.stringify(spec)).toBe(text);
  });

  it('indents JSON on request', () => {
    expect(spec.dumps({ indent: 2 })).toBe(JSON.stringify(spec.toJSON(), null, 2));
  });

  it('writes YAML that parses back to the same jobspec', () => {
    const text = spec.dumps({ format: 'yaml' });
    expect(text).toMatch(/^version: 1\n/);
    expect(Jobspec.parse(text).toJSON()).toEqual(spec.toJSON());
    expect(Jobspec.parse(spec.dumps({ format: 'yaml', indent: 4 }), { format: 'yaml' }).toJSON()).toEqual(spec.toJSON());
  });

  it('round-trips JSON', () => {
    expect(Jobspec.parse(spec.dumps()).toJSON()).toEqual(spec.toJSON());
    expect(Jobspec.parse(spec.dumps({ indent: 4 }), { format: 'json' }).toJSON()).toEqual(spec.toJSON());
  });

  it('rejects bad options', () => {
    for (const opts of [{ format: 'xml' }, { indent: -1 }, { indent: 11 }, { indent: 1.5 }, { format: 'yaml', indent: 0 }]) {
      const error = thrown(() => spec.dumps(opts as never));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).argument).toMatch(/^opts\.(format|indent)$/);
    }
  });
});

describe('attributes', () => {
  const base = Jobspec.fromCommand(['app'], { duration: 10 });

  it('applies the Flux prefix rule', () => {
    expect(base.setAttribute('duration', 20).toJSON().attributes.system.duration).toBe(20);
    expect(base.setAttribute('system.duration', 30).duration).toBe(30);
    expect(base.setAttribute('attributes.system.duration', 40).duration).toBe(40);
    expect(base.setAttribute('user.tag', 'x').toJSON().attributes.user).toEqual({ tag: 'x' });
    expect(base.setAttribute('attributes.user.tag', 'y').getAttribute('user.tag')).toBe('y');
    expect(base.setAttribute('job.name', 'n').name).toBe('n');
    expect(base.setAttribute('userdata', 1).getAttribute('attributes.system.userdata')).toBe(1);
    expect(base.setAttribute('attributes', 1).getAttribute('system.attributes')).toBe(1);
  });

  it('getAttribute reads with the same rule and returns undefined when absent', () => {
    expect(base.getAttribute('duration')).toBe(10);
    expect(base.getAttribute('system.duration')).toBe(10);
    expect(base.getAttribute('attributes.system.duration')).toBe(10);
    expect(base.getAttribute('attributes.system')).toEqual({ duration: 10 });
    expect(base.getAttribute('cwd')).toBeUndefined();
    expect(base.getAttribute('user.anything')).toBeUndefined();
    expect(base.getAttribute('duration.deeper')).toBeUndefined();
    expect(base.getAttribute('constructor')).toBeUndefined();
    expect(base.getAttribute('toString')).toBeUndefined();
  });

  it('returns a new instance and leaves the original unchanged', () => {
    const json = base.dumps();
    const next = base.setAttribute('cwd', '/tmp');
    expect(next).not.toBe(base);
    expect(next.cwd).toBe('/tmp');
    expect(base.cwd).toBeUndefined();
    expect(base.dumps()).toBe(json);
    expect(isDeepFrozen(next.toJSON())).toBe(true);
    // untouched branches are shared, not copied
    expect(next.toJSON().resources).toBe(base.toJSON().resources);
  });

  it('creates intermediate objects and keeps key order', () => {
    const next = base.setAttribute('shell.options.output.stdout', { type: 'file', path: 'o' });
    expect(next.stdout).toBe('o');
    const order = next.setAttribute('duration', 5).toJSON().attributes.system;
    expect(Object.keys(order)).toEqual(['duration', 'shell']);
  });

  it('undefined deletes; deleting what is absent changes nothing', () => {
    const named = base.setAttribute('job.name', 'n').setAttribute('queue', 'q');
    const unnamed = named.setAttribute('job.name', undefined);
    expect(unnamed.name).toBeUndefined();
    expect(unnamed.queue).toBe('q');
    expect(unnamed.getAttribute('job')).toEqual({});
    expect(base.setAttribute('nothing.here', undefined).toJSON()).toEqual(base.toJSON());
    expect(base.setAttribute('nothing.here', undefined)).not.toBe(base);
  });

  it('copies the value', () => {
    const env: Record<string, string> = { A: '1' };
    const next = base.setAttribute('environment', env);
    env.A = '2';
    expect(next.environment).toEqual({ A: '1' });
    expect(Object.isFrozen(env)).toBe(false);
  });

  it('validates the result', () => {
    const negative = validationError(() => base.setAttribute('duration', -1));
    expect(negative.errors[0]).toEqual({ path: '/attributes/system/duration', message: 'must be >= 0 (got -1)' });
    expect(validationError(() => base.setAttribute('duration', undefined)).errors[0]).toEqual({
      path: '/attributes/system',
      message: "missing required key 'duration'",
    });
    expect(validationError(() => base.setAttribute('attributes.other', {})).errors[0]!.path).toBe('/attributes/other');
    expect(validationError(() => base.setAttribute('user.f', () => 1)).errors[0]).toEqual({
      path: '/attributes/user/f',
      message: 'must be JSON data (got a function)',
    });
  });

  it('rejects malformed keys and keys through non-objects', () => {
    for (const key of ['', 'a..b', '.a', 'a.', 'attributes.', 'user.']) {
      const error = thrown(() => base.setAttribute(key, 1));
      expect(error, key).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).argument).toBe('key');
    }
    const through = thrown(() => base.setAttribute('duration.sub', 1));
    expect(through).toBeInstanceOf(InvalidArgumentError);
    expect((through as Error).message).toBe(
      `invalid argument key: cannot set "duration.sub": 'attributes.system.duration' is not an object`,
    );
    expect(thrown(() => base.getAttribute(7 as unknown as string))).toBeInstanceOf(InvalidArgumentError);
  });

  it('testRunDuration reads exec.test.run_duration in seconds', () => {
    expect(base.testRunDuration).toBeUndefined();
    expect(base.setAttribute('exec.test.run_duration', '2m').testRunDuration).toBe(120);
    expect(base.setAttribute('exec.test.run_duration', 0.25).testRunDuration).toBe(0.25);
    expect(base.setAttribute('exec.test.run_duration', 'inf').testRunDuration).toBe(Infinity);
  });
});

describe('immutability', () => {
  const spec = Jobspec.fromCommand(['app'], { environment: { A: '1' } });

  it('the instance and its object are frozen', () => {
    expect(Object.isFrozen(spec)).toBe(true);
    expect(isDeepFrozen(spec.toJSON())).toBe(true);
    expect(isDeepFrozen(Jobspec.fromObject(validObject()).toJSON())).toBe(true);
    expect(() => {
      (spec as unknown as { extra: number }).extra = 1;
    }).toThrow(TypeError);
    expect(() => {
      (spec.toJSON().attributes.system as { duration: number }).duration = 5;
    }).toThrow(TypeError);
    expect(() => {
      (spec.command as string[]).push('x');
    }).toThrow(TypeError);
    expect(() => {
      (spec.environment as Record<string, string>).B = '2';
    }).toThrow(TypeError);
  });

  it('toJSON returns the same object every time', () => {
    expect(spec.toJSON()).toBe(spec.toJSON());
  });
});

describe('accessors', () => {
  it.each([
    // file, numTasks, numNodes, numSlots, coresPerSlot, coresPerTask, gpusPerTask, totalCores
    ['node_slot_core.yaml', 4, 4, 4, 2, 2, 0, 8],
    ['gpu_count_zero.yaml', 1, undefined, 1, 1, 1, 0, 1],
    ['task_count_total_equals_nodes.yaml', 3, 3, 3, 1, 1, 0, 3],
    ['task_count_total.yaml', 5, 4, 4, 1, 1, 0, 4],
    ['slots_of_two_cores.yaml', 10, undefined, 10, 2, 2, 0, 20],
    ['slot_core_gpu.yaml', 10, undefined, 10, 2, 2, 1, 20],
    ['node_slot_core_gpu.yaml', 16, 4, 16, 1, 1, 1, 16],
  ] as const)('%s', (file, numTasks, numNodes, numSlots, coresPerSlot, coresPerTask, gpusPerTask, totalCores) => {
    const spec = Jobspec.parse(ownFixture('valid', file));
    expect({
      numTasks: spec.numTasks,
      numNodes: spec.numNodes,
      numSlots: spec.numSlots,
      coresPerSlot: spec.coresPerSlot,
      coresPerTask: spec.coresPerTask,
      gpusPerTask: spec.gpusPerTask,
      totalCores: spec.totalCores,
    }).toEqual({ numTasks, numNodes, numSlots, coresPerSlot, coresPerTask, gpusPerTask, totalCores });
    expect(spec.duration).toBe(3600);
    expect(spec.exclusive).toBe(false);
  });

  it('cores and gpus per task divide the slot among per_slot tasks', () => {
    const obj = validObject();
    (obj.tasks as Array<Record<string, unknown>>)[0]!.count = { per_slot: 2 };
    const spec = Jobspec.fromObject(obj);
    expect([spec.numTasks, spec.coresPerSlot, spec.coresPerTask, spec.gpusPerTask]).toEqual([8, 2, 1, 0]);
  });

  it('string accessors are undefined when unset', () => {
    const spec = Jobspec.fromCommand(['app']);
    expect([spec.cwd, spec.environment, spec.name, spec.stdin, spec.stdout, spec.stderr, spec.queue, spec.files, spec.batchScript]).toEqual(
      Array(9).fill(undefined),
    );
    expect([spec.numNodes, spec.exclusive, spec.duration, spec.numTasks, spec.coresPerTask]).toEqual([undefined, false, 0, 1, 1]);
  });
});

describe('JOBSPEC_V1_SCHEMA', () => {
  it('is the deep-frozen content of schemas/jobspec-v1.schema.json', () => {
    const file = JSON.parse(readFileSync(path.join(repoRoot, 'schemas', 'jobspec-v1.schema.json'), 'utf8')) as unknown;
    expect(JOBSPEC_V1_SCHEMA).toEqual(file);
    expect(isDeepFrozen(JOBSPEC_V1_SCHEMA)).toBe(true);
    expect((JOBSPEC_V1_SCHEMA as { $schema: string }).$schema).toBe('http://json-schema.org/draft-07/schema#');
  });
});
