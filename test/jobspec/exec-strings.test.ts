/**
 * Strings a job's processes are started from are checked at validation: a NUL byte (which cannot
 * cross execve/open) and an empty program name are rejected with where and what, by every
 * entry point, instead of failing when the job starts.
 */
import { describe, expect, it } from 'vitest';
import { Jobspec, type FromCommandOptions } from '../../src/jobspec/index.js';
import { validationError } from './helpers.js';

const NUL = /must not contain a NUL byte/;

/** `[what, command, options, pointer, message]` for fromCommand. */
const FROM_COMMAND: Array<[string, string[], FromCommandOptions, string, RegExp]> = [
  ['NUL in the program', ['/bin/ec\0ho', 'x'], {}, '/tasks/0/command/0', NUL],
  ['NUL in an argument', ['/bin/echo', 'a', 'b\0c'], {}, '/tasks/0/command/2', NUL],
  ['empty program', ['', 'x'], {}, '/tasks/0/command/0', /^must not be empty \(it names the program to run\)$/],
  ['NUL in an environment name', ['true'], { environment: { OK: '1', 'BAD\0NAME': 'v' } }, '/attributes/system/environment/BAD\0NAME', /invalid environment variable name "BAD\\u0000NAME": must not contain a NUL byte/],
  ['NUL in an environment value', ['true'], { environment: { PATH: '/usr/bin\0/bin' } }, '/attributes/system/environment/PATH', NUL],
  ['NUL in cwd', ['true'], { cwd: '/tmp\0x' }, '/attributes/system/cwd', NUL],
  ['NUL in the input path', ['true'], { input: 'in\0.txt' }, '/attributes/system/shell/options/input/stdin/path', NUL],
  ['NUL in the output path', ['true'], { output: 'out\0.txt' }, '/attributes/system/shell/options/output/stdout/path', NUL],
  ['NUL in the error path', ['true'], { error: 'err\0.txt' }, '/attributes/system/shell/options/output/stderr/path', NUL],
];

describe('fromCommand rejects what cannot be started', () => {
  it.each(FROM_COMMAND)('%s', (_what, command, opts, pointer, message) => {
    const error = validationError(() => Jobspec.fromCommand(command, opts));
    expect(error.errors).toHaveLength(1);
    expect(error.errors[0]!.path).toBe(pointer);
    expect(error.errors[0]!.message).toMatch(message);
    expect(error.message).toContain(`invalid jobspec: ${pointer}: `);
  });

  it('shows the NUL in the message, escaped', () => {
    const error = validationError(() => Jobspec.fromCommand(['a\0b']));
    expect(error.errors[0]!.message).toContain('"a\\u0000b"');
  });

  it('reports every bad string at once', () => {
    const error = validationError(() =>
      Jobspec.fromCommand(['', 'x\0'], { cwd: '\0', environment: { A: '\0' }, output: 'o\0', error: 'e\0', input: 'i\0' }),
    );
    expect(error.errors.map((issue) => issue.path)).toEqual([
      '/tasks/0/command/0',
      '/tasks/0/command/1',
      '/attributes/system/environment/A',
      '/attributes/system/cwd',
      '/attributes/system/shell/options/input/stdin/path',
      '/attributes/system/shell/options/output/stdout/path',
      '/attributes/system/shell/options/output/stderr/path',
    ]);
  });

  it('accepts the same strings without the NUL (the rule is not too wide)', () => {
    const spec = Jobspec.fromCommand(['/bin/echo', 'a b', '', '\u0001'], {
      environment: { A: '', B: 'x=y' }, cwd: '/tmp', input: 'i', output: 'o', error: 'e',
    });
    expect(spec.command).toEqual(['/bin/echo', 'a b', '', '\u0001']);
  });

  it('fromBatchCommand rejects a NUL in a script argument', () => {
    const error = validationError(() => Jobspec.fromBatchCommand('#!/bin/sh\necho "$1"\n', { args: ['a\0'] }));
    expect(error.errors[0]!.path).toMatch(/^\/tasks\/0\/command\/\d+$/);
    expect(error.errors[0]!.message).toMatch(NUL);
  });
});

/** The plain object of a spec with every process string, loosely typed for patching. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON copy patched at fixed places
type Spec = { tasks: [{ command: string[] }]; attributes: { system: Record<string, any> } };

function specObject(patch: (spec: Spec) => void): Spec {
  const spec: Spec = JSON.parse(JSON.stringify(Jobspec.fromCommand(['/bin/true'], { cwd: '/tmp', output: 'o', error: 'e', input: 'i', environment: { A: '1' } }).toJSON()));
  patch(spec);
  return spec;
}

describe('fromObject, parse and setAttribute reject them too', () => {
  it.each([
    ['/tasks/0/command/0', (s: Spec) => { s.tasks[0].command = ['']; }],
    ['/tasks/0/command/1', (s: Spec) => { s.tasks[0].command = ['x', '\0']; }],
    ['/attributes/system/environment/A', (s: Spec) => { s.attributes.system.environment.A = 'x\0'; }],
    ['/attributes/system/environment/a~1b\0', (s: Spec) => { s.attributes.system.environment['a/b\0'] = 'x'; }],
    ['/attributes/system/cwd', (s: Spec) => { s.attributes.system.cwd = '\0'; }],
    ['/attributes/system/shell/options/input/stdin/path', (s: Spec) => { s.attributes.system.shell.options.input.stdin.path = '\0'; }],
    ['/attributes/system/shell/options/output/stdout/path', (s: Spec) => { s.attributes.system.shell.options.output.stdout.path = '\0'; }],
    ['/attributes/system/shell/options/output/stderr/path', (s: Spec) => { s.attributes.system.shell.options.output.stderr.path = '\0'; }],
  ])('%s', (pointer, patch) => {
    const obj = specObject(patch);
    for (const build of [() => Jobspec.fromObject(obj), () => Jobspec.parse(JSON.stringify(obj))]) {
      const error = validationError(build);
      expect(error.errors.map((issue) => issue.path)).toEqual([pointer]);
    }
  });

  it('setAttribute rejects a cwd with a NUL', () => {
    const spec = Jobspec.fromCommand(['true']);
    const error = validationError(() => spec.setAttribute('system.cwd', '/a\0'));
    expect(error.errors).toEqual([{ path: '/attributes/system/cwd', message: 'must not contain a NUL byte (it cannot be passed to a process) (got "/a\\u0000")' }]);
  });

  it('a YAML document with a NUL escape in an argument is rejected at its pointer', () => {
    const yaml = [
      'version: 1',
      'resources: [{type: slot, count: 1, label: task, with: [{type: core, count: 1}]}]',
      'tasks: [{command: ["/bin/echo", "tr\\0ue"], slot: task, count: {per_slot: 1}}]',
      'attributes: {system: {duration: 0}}',
    ].join('\n');
    expect(validationError(() => Jobspec.parse(yaml)).errors).toEqual([
      { path: '/tasks/0/command/1', message: 'must not contain a NUL byte (it cannot be passed to a process) (got "tr\\u0000ue")' },
    ]);
  });
});
