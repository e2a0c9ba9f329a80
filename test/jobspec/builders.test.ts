/**
 * Jobspec.fromCommand / fromBatchCommand: Flux's JobspecV1.from_command shape rules, every
 * option, and every error with the argument it names.
 */
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/util/errors.js';
import { Jobspec, type FromCommandOptions } from '../../src/jobspec/index.js';
import { isDeepFrozen, thrown } from './helpers.js';

function invalidArgument(fn: () => unknown): InvalidArgumentError {
  const error = thrown(fn);
  expect(error).toBeInstanceOf(InvalidArgumentError);
  return error as InvalidArgumentError;
}

describe('fromCommand: Flux shapes', () => {
  it('defaults to one task on one core, no time limit, no environment', () => {
    expect(Jobspec.fromCommand(['hostname']).toJSON()).toEqual({
      version: 1,
      resources: [{ type: 'slot', count: 1, label: 'task', with: [{ type: 'core', count: 1 }] }],
      tasks: [{ command: ['hostname'], slot: 'task', count: { per_slot: 1 } }],
      attributes: { system: { duration: 0 } },
    });
  });

  it('without numNodes: slot(numTasks) > core(coresPerTask) + gpu(gpusPerTask), per_slot 1', () => {
    expect(Jobspec.fromCommand(['app'], { numTasks: 10, coresPerTask: 2, gpusPerTask: 1 }).toJSON().resources).toEqual([
      {
        type: 'slot',
        count: 10,
        label: 'task',
        with: [
          { type: 'core', count: 2 },
          { type: 'gpu', count: 1 },
        ],
      },
    ]);
  });

  it('gpusPerTask 0 adds no gpu vertex (as Flux)', () => {
    const spec = Jobspec.fromCommand(['app'], { gpusPerTask: 0 });
    expect(spec.toJSON().resources[0]).toEqual({ type: 'slot', count: 1, label: 'task', with: [{ type: 'core', count: 1 }] });
    expect(spec.gpusPerTask).toBe(0);
  });

  it('with numNodes dividing numTasks: node(numNodes) > slot(numTasks / numNodes), per_slot 1', () => {
    const spec = Jobspec.fromCommand(['app'], { numTasks: 16, numNodes: 4, coresPerTask: 1, gpusPerTask: 1 });
    expect(spec.toJSON().resources).toEqual([
      {
        type: 'node',
        count: 4,
        with: [
          {
            type: 'slot',
            count: 4,
            label: 'task',
            with: [
              { type: 'core', count: 1 },
              { type: 'gpu', count: 1 },
            ],
          },
        ],
      },
    ]);
    expect(spec.toJSON().tasks[0].count).toEqual({ per_slot: 1 });
    expect([spec.numTasks, spec.numNodes, spec.numSlots, spec.totalCores]).toEqual([16, 4, 16, 16]);
  });

  it('with numNodes not dividing numTasks: slot(ceil(numTasks / numNodes)) and count {total: numTasks}', () => {
    const spec = Jobspec.fromCommand(['hostname'], { numTasks: 5, numNodes: 4 });
    expect(spec.toJSON().resources).toEqual([
      { type: 'node', count: 4, with: [{ type: 'slot', count: 2, label: 'task', with: [{ type: 'core', count: 1 }] }] },
    ]);
    expect(spec.toJSON().tasks[0].count).toEqual({ total: 5 });
    expect([spec.numTasks, spec.numSlots, spec.coresPerTask]).toEqual([5, 8, 1]);
  });

  it('numNodes equal to numTasks is allowed: one slot per node', () => {
    const spec = Jobspec.fromCommand(['app'], { numTasks: 3, numNodes: 3 });
    expect(spec.toJSON().resources[0]).toMatchObject({ type: 'node', count: 3, with: [{ count: 1 }] });
  });

  it('exclusive marks the node vertex; false adds nothing', () => {
    expect(Jobspec.fromCommand(['app'], { numTasks: 2, numNodes: 2, exclusive: true }).toJSON().resources[0]).toMatchObject({
      type: 'node',
      exclusive: true,
    });
    const plain = Jobspec.fromCommand(['app'], { numTasks: 2, numNodes: 2, exclusive: false });
    expect(Object.keys(plain.toJSON().resources[0])).toEqual(['type', 'count', 'with']);
    expect(plain.exclusive).toBe(false);
  });

  it('the result is deep-frozen and validated', () => {
    const spec = Jobspec.fromCommand(['app', '--flag'], { numTasks: 3, numNodes: 2, environment: { A: '1' }, output: 'o' });
    expect(isDeepFrozen(spec.toJSON())).toBe(true);
    expect(Jobspec.fromObject(spec.toJSON()).toJSON()).toEqual(spec.toJSON());
  });

  it('copies the command array', () => {
    const command = ['echo', 'a'];
    const spec = Jobspec.fromCommand(command);
    command.push('b');
    expect(spec.command).toEqual(['echo', 'a']);
  });
});

describe('fromCommand: shared frozen parts', () => {
  it('specs of one shape share their (deep-frozen) resources and redirects', () => {
    const a = Jobspec.fromCommand(['a'], { numTasks: 4, numNodes: 2, output: 'o-{{id}}' });
    const b = Jobspec.fromCommand(['b'], { numTasks: 4, numNodes: 2, output: 'o-{{id}}' });
    expect(b.toJSON().resources).toBe(a.toJSON().resources);
    expect(b.toJSON().attributes.system.shell).toBe(a.toJSON().attributes.system.shell);
    expect(isDeepFrozen(a.toJSON())).toBe(true);
  });

  it('every shape is right, also past the cache bounds and after the caches start over', () => {
    const check = (numTasks: number, coresPerTask: number, gpusPerTask: number, numNodes: number | undefined, exclusive: boolean) => {
      const spec = Jobspec.fromCommand(['x'], { numTasks, coresPerTask, gpusPerTask, numNodes, exclusive });
      expect([spec.numTasks, spec.coresPerTask, spec.gpusPerTask, spec.numNodes, spec.exclusive]).toEqual([
        numTasks,
        coresPerTask,
        gpusPerTask,
        numNodes,
        exclusive,
      ]);
      expect(spec.numSlots).toBe(numNodes === undefined ? numTasks : numNodes * Math.ceil(numTasks / numNodes));
    };
    for (let i = 1; i <= 600; i++) check(i, (i % 5) + 1, i % 3, i % 2 === 0 ? Math.ceil(i / 3) : undefined, i % 4 === 0);
    for (let i = 1; i <= 600; i += 7) check(i, (i % 5) + 1, i % 3, i % 2 === 0 ? Math.ceil(i / 3) : undefined, i % 4 === 0);
    check(5000, 2000, 100, 4097, true);
    check(4096, 1024, 64, 4096, false);
    check(2 ** 40, 1, 0, 3, false);
    for (let i = 0; i < 600; i++) {
      const output = `out-${i}`;
      expect(Jobspec.fromCommand(['x'], { output, error: i % 2 === 0 ? 'none' : `err-${i}` }).stdout).toBe(output);
    }
    expect(Jobspec.fromCommand(['x'], { output: 'out-3', error: 'err-3' }).stderr).toBe('err-3');
    expect(Jobspec.fromCommand(['x'], { output: 'none', error: 'none' }).toJSON().attributes.system.shell).toBeUndefined();
  });
});

describe('fromCommand: options', () => {
  it.each([
    [90, 90],
    [0, 0],
    [1.5, 1.5],
    ['90', 90],
    ['90s', 90],
    ['10m', 600],
    ['2h', 7200],
    ['1d', 86400],
    ['0.5m', 30],
  ] as const)('duration %j → %d seconds', (duration, seconds) => {
    const spec = Jobspec.fromCommand(['app'], { duration });
    expect(spec.duration).toBe(seconds);
    expect(spec.toJSON().attributes.system.duration).toBe(seconds);
  });

  it('environment is copied and frozen, not aliased', () => {
    const environment: Record<string, string> = { HOME: '/home/u', EMPTY: '' };
    const spec = Jobspec.fromCommand(['env'], { environment });
    environment.HOME = '/elsewhere';
    expect(spec.environment).toEqual({ HOME: '/home/u', EMPTY: '' });
    expect(Object.isFrozen(spec.environment)).toBe(true);
    expect(Object.isFrozen(environment)).toBe(false);
  });

  it('an empty environment is kept as an empty environment', () => {
    expect(Jobspec.fromCommand(['env'], { environment: {} }).environment).toEqual({});
    expect(Jobspec.fromCommand(['env']).environment).toBeUndefined();
  });

  it('cwd, name and queue land where Flux puts them', () => {
    const spec = Jobspec.fromCommand(['app'], { cwd: '/work', name: 'my-job', queue: 'batch' });
    expect(spec.toJSON().attributes.system).toEqual({ duration: 0, cwd: '/work', job: { name: 'my-job' }, queue: 'batch' });
    expect([spec.cwd, spec.name, spec.queue]).toEqual(['/work', 'my-job', 'batch']);
  });

  it('input/output/error become shell.options file redirects, templates kept as written', () => {
    const spec = Jobspec.fromCommand(['app'], { input: 'in.txt', output: 'out-{{id}}.log', error: '{{name}}.err' });
    expect(spec.toJSON().attributes.system.shell).toEqual({
      options: {
        input: { stdin: { type: 'file', path: 'in.txt' } },
        output: {
          stdout: { type: 'file', path: 'out-{{id}}.log' },
          stderr: { type: 'file', path: '{{name}}.err' },
        },
      },
    });
    expect([spec.stdin, spec.stdout, spec.stderr]).toEqual(['in.txt', 'out-{{id}}.log', '{{name}}.err']);
  });

  it("output/error 'none' and 'kvs' set no redirect (as Flux)", () => {
    const spec = Jobspec.fromCommand(['app'], { output: 'none', error: 'kvs' });
    expect(spec.toJSON().attributes.system.shell).toBeUndefined();
    expect([spec.stdout, spec.stderr]).toEqual([undefined, undefined]);
  });

  it('only stdout: no stderr key', () => {
    const spec = Jobspec.fromCommand(['app'], { output: 'o.log' });
    expect(spec.toJSON().attributes.system.shell).toEqual({ options: { output: { stdout: { type: 'file', path: 'o.log' } } } });
  });

  it('ignores options it does not know (like Flux keyword arguments would not)', () => {
    const spec = Jobspec.fromCommand(['app'], { numTasks: 2, extra: true } as FromCommandOptions);
    expect(spec.numTasks).toBe(2);
  });
});

describe('fromCommand: errors name the argument', () => {
  it.each([
    [[], /must not be empty/],
    [['ls', 1], /element 1 must be a string \(got 1\)/],
    [['ls', undefined], /element 1 must be a string \(got undefined\)/],
    ['ls -l', /must be an array of strings \(got "ls -l"\)/],
    [null, /must be an array of strings \(got null\)/],
  ])('command %j', (command, message) => {
    const error = invalidArgument(() => Jobspec.fromCommand(command as string[]));
    expect(error.argument).toBe('command');
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
    expect(error.message).toMatch(message);
  });

  it.each(['numTasks', 'coresPerTask', 'numNodes'] as const)('%s must be a positive integer', (option) => {
    for (const value of [0, -1, 1.5, NaN, Infinity, '2', null, 2 ** 53]) {
      const error = invalidArgument(() => Jobspec.fromCommand(['app'], { numTasks: 4, [option]: value } as FromCommandOptions));
      expect(error.argument, `${option}=${String(value)}`).toBe(`opts.${option}`);
      expect(error.message).toMatch(/must be a positive integer/);
    }
  });

  it('gpusPerTask must be a non-negative integer', () => {
    for (const value of [-1, 0.5, '1', NaN]) {
      const error = invalidArgument(() => Jobspec.fromCommand(['app'], { gpusPerTask: value as number }));
      expect(error.argument).toBe('opts.gpusPerTask');
      expect(error.message).toMatch(/must be a non-negative integer/);
    }
  });

  it('numNodes greater than numTasks is an error', () => {
    const error = invalidArgument(() => Jobspec.fromCommand(['app'], { numTasks: 2, numNodes: 3 }));
    expect(error.argument).toBe('opts.numNodes');
    expect(error.message).toBe('invalid argument opts.numNodes: must not be greater than opts.numTasks (got 3 nodes for 2 tasks)');
  });

  it('numNodes greater than the default numTasks (1) is an error', () => {
    expect(invalidArgument(() => Jobspec.fromCommand(['app'], { numNodes: 2 })).argument).toBe('opts.numNodes');
  });

  it('exclusive without numNodes is an error', () => {
    const error = invalidArgument(() => Jobspec.fromCommand(['app'], { exclusive: true }));
    expect(error.argument).toBe('opts.exclusive');
    expect(error.message).toMatch(/can only be set with opts.numNodes/);
  });

  it('exclusive must be a boolean', () => {
    expect(invalidArgument(() => Jobspec.fromCommand(['app'], { numNodes: 1, exclusive: 'yes' as unknown as boolean })).argument).toBe(
      'opts.exclusive',
    );
  });

  it.each([
    [-1, /must not be negative/],
    [NaN, /must not be NaN/],
    [Infinity, /must be finite/],
    ['infinity', /must be finite/],
    ['-5m', /must not be negative/],
    ['10 m', /is not a Flux Standard Duration/],
    ['5w', /is not a Flux Standard Duration/],
    ['', /is not a Flux Standard Duration/],
    [{}, /must be seconds or a Flux Standard Duration/],
    [true, /must be seconds or a Flux Standard Duration/],
  ])('duration %j is rejected', (duration, message) => {
    const error = invalidArgument(() => Jobspec.fromCommand(['app'], { duration: duration as number }));
    expect(error.argument).toBe('opts.duration');
    expect(error.message).toMatch(message);
  });

  it.each(['cwd', 'name', 'input', 'output', 'error', 'queue'] as const)('%s must be a non-empty string', (option) => {
    expect(invalidArgument(() => Jobspec.fromCommand(['app'], { [option]: '' })).message).toBe(
      `invalid argument opts.${option}: must not be empty`,
    );
    expect(invalidArgument(() => Jobspec.fromCommand(['app'], { [option]: 42 } as unknown as FromCommandOptions)).argument).toBe(
      `opts.${option}`,
    );
  });

  it('environment must be an object of strings with valid names', () => {
    const cases: Array<[unknown, RegExp]> = [
      [['A=1'], /must be an object of strings/],
      [null, /must be an object of strings/],
      [{ A: 1 }, /value of "A" must be a string \(got 1\)/],
      [{ A: undefined }, /value of "A" must be a string \(got undefined\)/],
      [{ 'A=B': 'x' }, /invalid variable name "A=B"/],
      [{ '': 'x' }, /invalid variable name ""/],
    ];
    for (const [environment, message] of cases) {
      const error = invalidArgument(() => Jobspec.fromCommand(['app'], { environment: environment as Record<string, string> }));
      expect(error.argument).toBe('opts.environment');
      expect(error.message).toMatch(message);
    }
  });

  it('opts must be an object', () => {
    for (const opts of [null, 5, 'x', []]) {
      expect(invalidArgument(() => Jobspec.fromCommand(['app'], opts as FromCommandOptions)).argument).toBe('opts');
    }
  });
});

describe('fromBatchCommand', () => {
  const script = '#!/bin/sh\necho hello\n';

  it('stores the script in files.script (mode 0o700, utf-8) and runs {{tmpdir}}/script with args', () => {
    const spec = Jobspec.fromBatchCommand(script, { args: ['a', 'b c'], numTasks: 2, name: 'batch', duration: '1h' });
    const system = spec.toJSON().attributes.system;
    expect(system.files).toEqual({ script: { data: script, mode: 0o700, encoding: 'utf-8' } });
    expect(system.files?.script?.mode).toBe(448);
    expect(spec.command).toEqual(['{{tmpdir}}/script', 'a', 'b c']);
    expect([spec.batchScript, spec.name, spec.numTasks, spec.duration]).toEqual([script, 'batch', 2, 3600]);
    expect(spec.files).toBe(system.files);
    expect(isDeepFrozen(spec.toJSON())).toBe(true);
  });

  it('without args the command is the script alone', () => {
    expect(Jobspec.fromBatchCommand(script).command).toEqual(['{{tmpdir}}/script']);
  });

  it('uses the fromCommand resource rules', () => {
    const spec = Jobspec.fromBatchCommand(script, { numTasks: 3, numNodes: 2, exclusive: true, coresPerTask: 4 });
    expect(spec.toJSON().resources[0]).toEqual({
      type: 'node',
      count: 2,
      exclusive: true,
      with: [{ type: 'slot', count: 2, label: 'task', with: [{ type: 'core', count: 4 }] }],
    });
    expect(spec.toJSON().tasks[0].count).toEqual({ total: 3 });
  });

  it("rejects a script that does not start with '#!'", () => {
    for (const bad of ['echo hi', ' #!/bin/sh', '']) {
      const error = invalidArgument(() => Jobspec.fromBatchCommand(bad));
      expect(error.argument).toBe('script');
      expect(error.message).toMatch(/must start with '#!'/);
    }
    expect(invalidArgument(() => Jobspec.fromBatchCommand(42 as unknown as string)).argument).toBe('script');
  });

  it('rejects bad args and an input redirect', () => {
    expect(invalidArgument(() => Jobspec.fromBatchCommand(script, { args: 'x' as unknown as string[] })).argument).toBe('opts.args');
    const bad = invalidArgument(() => Jobspec.fromBatchCommand(script, { args: ['ok', 7 as unknown as string] }));
    expect([bad.argument, bad.message]).toEqual(['opts.args', 'invalid argument opts.args: element 1 must be a string (got 7)']);
    expect(invalidArgument(() => Jobspec.fromBatchCommand(script, { input: 'in' } as never)).argument).toBe('opts.input');
  });

  it('reports option errors as fromCommand does', () => {
    expect(invalidArgument(() => Jobspec.fromBatchCommand(script, { numTasks: 0 })).argument).toBe('opts.numTasks');
  });

  it('batchScript is undefined for plain commands, and decodes base64 scripts', () => {
    expect(Jobspec.fromCommand(['app']).batchScript).toBeUndefined();
    const encoded = Jobspec.fromBatchCommand(script).setAttribute('files.script', {
      data: Buffer.from(script).toString('base64'),
      encoding: 'base64',
      mode: 0o700,
    });
    expect(encoded.batchScript).toBe(script);
  });
});
