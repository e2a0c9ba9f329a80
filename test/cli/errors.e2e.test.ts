/**
 * Every error of `jobf` is one line on stderr, exit code 2, nothing on stdout, and nothing written:
 * the store's content is unchanged, a missing store is not created, a foreign file is untouched.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { JobID } from '../../src/ids/index.js';
import { tempDir } from '../store/helpers.js';
import { dump, ids, jobf, prepareBin } from './helpers/jobf.js';

let root: string;
let cleanup: () => void;
let cwd: string;
let known: JobID;

beforeAll(async () => {
  await prepareBin();
  ({ dir: root, cleanup } = tempDir('jobf-cli-errors-'));
  cwd = join(root, 'main');
  mkdirSync(cwd);
  known = ids(await jobf(['submit', '--name', 'known', 'true'], { cwd }))[0]!;
}, 180_000);
afterAll(() => cleanup());

/** Runs jobf and checks the error contract; returns the message (without `jobf: ` and newline). */
async function failsCleanly(args: string[], dir = cwd): Promise<string> {
  const before = dump(join(dir, 'jobs.db'));
  const r = await jobf(args, { cwd: dir });
  expect(r.stdout).toBe('');
  expect(r.exitCode).toBe(2);
  expect(r.stderr).toMatch(/^jobf: [^\n]+\n$/);
  expect(dump(join(dir, 'jobs.db'))).toEqual(before);
  return r.stderr.slice('jobf: '.length, -1);
}

describe('usage errors', () => {
  it.each([
    [[], /^no command given \(see jobf --help\)$/],
    [['frobnicate'], /^unknown command "frobnicate"/],
    [['list', '--frob'], /^unknown option --frob for "jobf list"$/],
    [['submit', '--frob', 'true'], /^unknown option --frob for "jobf submit"$/],
    [['submit', '-x', 'true'], /^unknown option -x for "jobf submit"$/],
    [['submit'], /^"jobf submit" needs a command/],
    [['submit', '--name'], /^option --name needs a value \(NAME\)$/],
    [['submit', '--hold=1', 'true'], /^option --hold takes no value$/],
    [['submit', '--tasks', '0', 'true'], /^--tasks needs a positive integer, got "0"$/],
    [['submit', '--cores', 'two', 'true'], /^--cores needs a positive integer, got "two"$/],
    [['submit', '--duration', '10 minutes', 'true'], /^invalid --duration: /],
    [['submit', '--env', 'NOEQUALS', 'true'], /^--env needs KEY=VALUE, got "NOEQUALS"$/],
    [['submit', '--env', '=x', 'true'], /^--env needs KEY=VALUE/],
    [['submit', '--cwd', 'no/such/dir', 'true'], /^--cwd \S+no\/such\/dir: no such directory$/],
    [['submit', '--name', '', 'true'], /^--name must not be empty$/],
    [['--backend', 'pbs', 'list'], /^--backend must be local or slurm( or \w+)*, got "pbs"$/],
    [['show'], /^"jobf show" takes exactly one job id, got 0/],
    [['list', '--state', 'sleeping'], /^unknown state "SLEEPING"/],
    [['list', '--result', 'meh'], /^unknown result "MEH"/],
    [['report', '--errors-only', '--output-only'], /^--errors-only and --output-only exclude each other$/],
    [['execute', '--parallel', '0'], /^--parallel needs a positive integer/],
    [['events', '--interval', 'soon', 'f1'], /^--interval needs a positive integer/],
  ])('%j', async (args, message) => {
    expect(await failsCleanly(args)).toMatch(message);
  });
});

describe('bad ranges', () => {
  it.each([
    ['10-1', /^invalid array range "10-1": the end 1 is smaller than the start 10$/],
    ['1-10:0', /step must be at least 1/],
    ['x', /start "x" is not a non-negative integer/],
    ['1-3,2', /index 2 appears more than once/],
    ['1-5%2', /throttle/],
  ])('--array %s', async (range, message) => {
    expect(await failsCleanly(['submit', '--array', range, 'true'])).toMatch(message);
  });
});

describe('unknown and malformed ids', () => {
  const unknown = 'ƒ2222222'; // valid F58, not in the store

  it.each([
    [['show', unknown]],
    [['events', unknown]],
    [['list', unknown]],
    [['report', unknown]],
    [['delete', unknown]],
    [['resubmit', unknown]],
    [['wait', unknown]],
    [['stop', unknown]],
    [['execute', unknown]],
  ])('%j', async (args) => {
    expect(await failsCleanly(args)).toMatch(/^unknown job id ƒ2222222 \(not in \S+jobs\.db\)$/);
  });

  it('one unknown id among known ones deletes nothing', async () => {
    expect(await failsCleanly(['delete', known.f58, unknown])).toMatch(/^unknown job id ƒ2222222/);
  });

  it('--after / --after-any with an unknown id write nothing', async () => {
    expect(await failsCleanly(['submit', '--after', `${known.f58},${unknown}`, 'true'])).toBe(
      'unknown job id ƒ2222222 (given to --after)',
    );
    expect(await failsCleanly(['submit', '--array', '1-3', '--after-any', unknown, 'true'])).toBe(
      'unknown job id ƒ2222222 (given to --after-any)',
    );
  });

  it('the same id to --after and --after-any', async () => {
    expect(await failsCleanly(['submit', '--after', known.f58, '--after-any', known.dec, 'true'])).toBe(
      `job ${known.f58} is given to both --after and --after-any`,
    );
  });

  it.each([['show', 'f0OIl'], ['list', 'nope'], ['submit', '--after', 'ƒ', 'true'], ['delete', '-5']])(
    'malformed: %s %s',
    async (...args) => {
      expect(await failsCleanly(args)).toMatch(/^(invalid job id "|unknown option -5)/);
    },
  );
});

describe('stores', () => {
  it('read commands without a store fail and do not create one', async () => {
    const empty = join(root, 'nostore');
    mkdirSync(empty);
    for (const args of [['list'], ['show', known.f58], ['report'], ['delete'], ['resubmit'], ['events', known.f58]]) {
      expect(await failsCleanly(args, empty)).toBe(`no job store at ${join(empty, 'jobs.db')} (give --db PATH or set JOBF_DB)`);
    }
    expect(await failsCleanly(['submit', '--after', known.f58, 'true'], empty)).toBe(
      `unknown job id ${known.f58} (there is no job store at ${join(empty, 'jobs.db')})`,
    );
    expect(existsSync(join(empty, 'jobs.db'))).toBe(false);
    expect(existsSync(join(empty, '.jobf-logs'))).toBe(false);
  });

  it('a file that is not a job store is refused, byte for byte untouched', async () => {
    const dir = join(root, 'foreign');
    mkdirSync(dir);
    const path = join(dir, 'jobs.db');
    writeFileSync(path, 'name,value\nthese,are my data\n');
    const before = readFileSync(path);
    for (const args of [['submit', 'true'], ['list'], ['delete']]) {
      const r = await jobf(args, { cwd: dir });
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toBe(`jobf: ${path} is not a jobfutures job store: it is not a SQLite database\n`);
      expect(readFileSync(path).equals(before)).toBe(true);
    }
    expect(existsSync(`${path}-wal`)).toBe(false);
    expect(existsSync(join(dir, '.jobf-logs'))).toBe(false);
  });
});
