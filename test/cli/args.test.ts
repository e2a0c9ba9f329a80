import { describe, expect, it } from 'vitest';

import { UsageError, commaList, helpText, parseArgs, positiveInt, type CommandSpec } from '../../src/cli/shared/args.js';
import { ArrayRangeError, MAX_ARRAY_TASKS, parseArrayRange } from '../../src/cli/shared/ranges.js';

const submit: CommandSpec = {
  name: 'submit',
  summary: 's',
  synopsis: '[--] CMD [ARGS...]',
  operands: 'command',
  options: [
    { name: 'name', short: 'n', value: 'N', help: '' },
    { name: 'env', value: 'K=V', repeat: true, help: '' },
    { name: 'hold', help: '' },
    { name: 'after', short: 'd', aliases: ['dependencies'], value: 'ID', repeat: true, help: '' },
  ],
};
const list: CommandSpec = { name: 'list', summary: 'l', synopsis: '[ID...]', operands: 'ids', options: [] };
const show: CommandSpec = { name: 'show', summary: 's', synopsis: 'ID', operands: 'id', options: [] };
const COMMANDS = [submit, list, show];
const parse = (...argv: string[]): ReturnType<typeof parseArgs> => parseArgs(argv, COMMANDS);

describe('parseArgs', () => {
  it('global options before or after the command', () => {
    const a = parse('--db', 'x.db', '--json', 'list', '--backend=slurm', 'f1', 'f2');
    expect(a.command?.name).toBe('list');
    expect(a.db).toBe('x.db');
    expect(a.json).toBe(true);
    expect(a.backend).toBe('slurm');
    expect(a.operands).toEqual(['f1', 'f2']);
  });

  it('submit: the command starts at -- or at the first operand, and keeps its own options', () => {
    expect(parse('submit', '--name', 'n', '--', 'echo', '--name', 'x').operands).toEqual(['echo', '--name', 'x']);
    const a = parse('submit', '--env', 'A=1', '--hold', '--env=B=2', 'sh', '-c', 'echo --json');
    expect(a.operands).toEqual(['sh', '-c', 'echo --json']);
    expect(a.values('env')).toEqual(['A=1', 'B=2']);
    expect(a.flag('hold')).toBe(true);
    expect(a.json).toBe(false);
    expect(parse('submit', '--', '--weird-command').operands).toEqual(['--weird-command']);
  });

  it('a value option takes the next argument whatever it is', () => {
    expect(parse('submit', '--name', '--hold', 'true').value('name')).toBe('--hold');
  });

  it('help', () => {
    expect(parse('--help').help).toBe(true);
    expect(parse('show', '-h').help).toBe(true); // no operand check with --help
    expect(parse().command).toBeUndefined();
  });

  it.each([
    [['frob'], /unknown command "frob"/],
    [['list', '--frob'], /unknown option --frob for "jobf list"/],
    [['list', '-x'], /unknown option -x for "jobf list"/],
    [['--frob', 'list'], /unknown option --frob$/],
    [['submit', '--name'], /option --name needs a value/],
    [['submit', '--hold=yes', 'x'], /option --hold takes no value/],
    [['submit', '--name', 'a', '--name', 'b', 'x'], /option --name given more than once/],
    [['submit'], /"jobf submit" needs a command/],
    [['submit', '--name', 'x', '--'], /needs a command/],
    [['show'], /takes exactly one job id, got 0/],
    [['show', 'a', 'b'], /takes exactly one job id, got 2/],
    [['list', '--backend', 'pbs'], /--backend must be local or slurm( or \w+)*, got "pbs"/],
    [['--db', '', 'list'], /--db needs a file path/],
    [['--', 'list'], /"--" before any command/],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parse(...argv)).toThrow(UsageError);
    expect(() => parse(...argv)).toThrow(message);
  });

  it('helpers', () => {
    expect(positiveInt('--tasks', '4')).toBe(4);
    for (const bad of ['0', '-1', '1.5', 'x', '', '99999999999999999999']) {
      expect(() => positiveInt('--tasks', bad)).toThrow(/--tasks needs a positive integer/);
    }
    expect(commaList('--after', ['a,b', 'c'])).toEqual(['a', 'b', 'c']);
    expect(() => commaList('--after', ['a,,b'])).toThrow(/empty item/);
  });

  it('short options (-n N, -nN), aliases, -j ids, -V', () => {
    expect(parse('submit', '-n', 'x', 'true').value('name')).toBe('x');
    expect(parse('submit', '-nx', 'true').value('name')).toBe('x');
    const a = parse('submit', '-d', 'f1', '--dependencies', 'f2', '--after=f3', 'true');
    expect(a.values('after')).toEqual(['f1', 'f2', 'f3']);
    expect(a.operands).toEqual(['true']);
    expect(parse('list', '-j', 'f1', 'f2', '--job-ids', 'f3').operands).toEqual(['f1', 'f3', 'f2']);
    expect(parse('show', '-j', 'f1').operands).toEqual(['f1']);
    expect(parse('-V').version).toBe(true);
    expect(parse('--version').version).toBe(true);
    expect(() => parse('submit', '-j', 'f1', 'true')).toThrow(/unknown option -j for "jobf submit"/);
    expect(() => parse('submit', '-n')).toThrow(/option -n \(--name\) needs a value/);
    expect(() => parse('submit', '-n', 'a', '--name', 'b', 'true')).toThrow(/option --name given more than once/);
    expect(() => parse('list', '-hx')).toThrow(/unknown option -hx/);
  });

  it('jobf help [COMMAND]', () => {
    expect(parse('help').help).toBe(true);
    expect(parse('help').command).toBeUndefined();
    const a = parse('help', 'show');
    expect(a.help).toBe(true);
    expect(a.command?.name).toBe('show');
    expect(() => parse('help', 'frob')).toThrow(/unknown command "frob"/);
    expect(() => parse('help', 'show', 'list')).toThrow(/"jobf help" takes one command name/);
  });

  it('help text lists commands and options', () => {
    const text = helpText(COMMANDS);
    expect(text).toContain('submit');
    expect(text).toContain('--db PATH');
    const sub = helpText(COMMANDS, submit);
    expect(sub).toContain('usage: jobf submit [OPTIONS] [--] CMD [ARGS...]');
    expect(sub).toContain('--env K=V ...');
    expect(sub).toContain('  -n, --name N');
    expect(sub).toContain('  -d, --after ID ..., --dependencies');
    expect(helpText(COMMANDS, list)).toContain('  -j, --job-ids ID ...');
    expect(text).toContain('-V, --version');
  });
});

describe('parseArrayRange', () => {
  it.each([
    ['1-3', [1, 2, 3]],
    ['0-10:5', [0, 5, 10]],
    ['1-10:4', [1, 5, 9]],
    ['7', [1, 2, 3, 4, 5, 6, 7]], // a count, as jman -t 7
    ['10', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]],
    ['7-7', [7]],
    ['0-0', [0]],
    ['1,3,5-6', [1, 3, 5, 6]],
    ['7,9', [7, 9]], // in a list, N is the index N
  ])('%s', (text, expected) => {
    expect(parseArrayRange(text)).toEqual(expected);
  });

  it.each([
    ['', /it is empty/],
    ['3-1', /the end 1 is smaller than the start 3/],
    ['1-10:0', /step must be at least 1/],
    ['a-b', /start "a" is not a non-negative integer/],
    ['1-', /end "" is not/],
    ['-5', /start "" is not/],
    ['1:2', /"1:2" is not N, A-B or A-B:STEP/],
    ['1-2-3', /end "2-3"/],
    ['1,,2', /"" is not N, A-B/],
    ['1-3,2', /index 2 appears more than once/],
    ['1-10%2', /throttle/],
    ['0-3000000000', /larger than 2147483647/],
    [`1-${MAX_ARRAY_TASKS + 1}`, /more than 100000 tasks/],
    [' 1-2', /not a non-negative integer/],
    ['0', /a count of 0 makes no task/],
    [String(MAX_ARRAY_TASKS + 1), /more than 100000 tasks/],
  ])('%j is rejected', (text, message) => {
    expect(() => parseArrayRange(text)).toThrow(ArrayRangeError);
    expect(() => parseArrayRange(text)).toThrow(message);
  });
});
