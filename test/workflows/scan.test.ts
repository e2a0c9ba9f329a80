/**
 * Parameter scans on the local backend: product vs zip, point folders and their files, `{NAME}`
 * substitution, cwd, and points rebuilt from their files alone after the store is deleted
 * (library and `jobf scan` / `jobf runs`).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { JobExecutor } from '../../src/executor/index.js';
import { substitutePlaceholders } from '../../src/jobspec/index.js';
import { withIndex } from '../../src/cli/commands/submit.js';
import { InvalidArgumentError } from '../../src/util/errors.js';
import { loadRun, loadRuns, planScan, scan, scanPoints } from '../../src/workflows/scan/index.js';
import { tempDir } from '../store/helpers.js';
import { jobf, prepareBin } from '../cli/helpers/jobf.js';
import { names, text } from './helpers.js';

let base = '';
let cleanup = (): void => {};
let n = 0;
beforeAll(async () => {
  await prepareBin();
  ({ dir: base, cleanup } = tempDir('jobf-scan-'));
}, 180_000);
afterAll(() => cleanup());

const fresh = (): string => join(base, `s${++n}`);

describe('{NAME} placeholders (one rule for scans and submit --array)', () => {
  it('replaces known names, keeps \\{NAME} literal, leaves {{...}} and unknown names alone', () => {
    expect(substitutePlaceholders(['./sim', '--a={a}', '{b}{a}', '\\{a}', '{{a}}', '{c}', '{a'], { a: '1', b: 'x' })).toEqual(['./sim', '--a=1', 'x1', '{a}', '{{a}}', '{c}', '{a']);
    expect(substitutePlaceholders(['\\{c}'], { a: '1' })).toEqual(['\\{c}']);
    expect(withIndex(['echo', '{index}', '\\{index}', '{{index}}', '{seed}'], 7)).toEqual(['echo', '7', '{index}', '{{index}}', '{seed}']);
  });
});

describe('scan points', () => {
  it('product: the first parameter varies slowest; zip: element-wise', () => {
    expect(scanPoints({ a: [1, 2], b: ['x', 'y', 'z'] })).toEqual([
      { a: 1, b: 'x' }, { a: 1, b: 'y' }, { a: 1, b: 'z' },
      { a: 2, b: 'x' }, { a: 2, b: 'y' }, { a: 2, b: 'z' },
    ]);
    expect(scanPoints({ a: [1, 2, 3], b: ['x', 'y', 'z'] }, true)).toEqual([{ a: 1, b: 'x' }, { a: 2, b: 'y' }, { a: 3, b: 'z' }]);
  });

  it('bad parameters are typed errors naming the parameter, and nothing is written', () => {
    const root = fresh();
    const bad = (params: Record<string, (string | number)[]>, zip = false) => () => planScan({ root, params, zip, command: ['true'] });
    expect(bad({ a: [1, 2], b: [1] }, true)).toThrow(/invalid argument zip: .*a has 2, b has 1/);
    expect(bad({ a: [] })).toThrow(/invalid argument params\.a: needs at least one value/);
    expect(bad({ 'a-b': [1] })).toThrow(InvalidArgumentError);
    expect(bad({})).toThrow(/at least one parameter/);
    expect(existsSync(root)).toBe(false);
  });
});

describe('scan() on the executor (local)', () => {
  it('each point: params, jobspec, job id, stdout/stderr, status; runs in its folder with {NAME} substituted', async () => {
    const root = fresh();
    await using ex = new JobExecutor({ backend: 'local' });
    const points = scan(ex, {
      root,
      params: { seed: [1, 2], size: ['s', 'l'] },
      command: ['sh', '-c', 'echo seed={seed} size={size}; pwd; echo err >&2; exit $(( {seed} - 1 ))'],
    });
    expect(points.map((p) => [p.name, p.params])).toEqual([
      ['point_000', { seed: 1, size: 's' }],
      ['point_001', { seed: 1, size: 'l' }],
      ['point_002', { seed: 2, size: 's' }],
      ['point_003', { seed: 2, size: 'l' }],
    ]);
    const runs = await Promise.all(points.map((p) => p.ended));
    expect(runs.map((r) => [r.name, r.status, r.result, r.returncode])).toEqual([
      ['point_000', 'SUCCESSFUL', 'COMPLETED', 0],
      ['point_001', 'SUCCESSFUL', 'COMPLETED', 0],
      ['point_002', 'FAILED', 'FAILED', 1],
      ['point_003', 'FAILED', 'FAILED', 1],
    ]);
    const dir = join(root, 'point_001');
    expect(names(dir)).toEqual(['job_id.txt', 'jobspec.json', 'params.json', 'status.json', 'stderr.txt', 'stdout.txt']);
    expect(readFileSync(join(dir, 'stdout.txt'), 'utf8')).toBe(`seed=1 size=l\n${dir}\n`);
    expect(text(join(dir, 'stderr.txt'))).toBe('err');
    expect(JSON.parse(readFileSync(join(dir, 'params.json'), 'utf8'))).toEqual({ seed: 1, size: 'l' });
    expect(JSON.parse(readFileSync(join(dir, 'jobspec.json'), 'utf8')).tasks[0].command[2]).toBe('echo seed=1 size=l; pwd; echo err >&2; exit $(( 1 - 1 ))');
    expect(text(join(dir, 'job_id.txt'))).toBe(points[1]!.future.id!.f58);
    expect(JSON.parse(readFileSync(join(root, 'scan.json'), 'utf8'))).toEqual({
      params: { seed: [1, 2], size: ['s', 'l'] },
      zip: false,
      command: ['sh', '-c', 'echo seed={seed} size={size}; pwd; echo err >&2; exit $(( {seed} - 1 ))'],
      points: 4,
    });
  });

  it('zip gives one point per position; a root that holds a scan is refused', async () => {
    const root = fresh();
    await using ex = new JobExecutor({ backend: 'local' });
    const points = scan(ex, { root, params: { a: [1, 2, 3], b: ['x', 'y', 'z'] }, zip: true, command: ['sh', '-c', 'echo {a}{b} > out'] });
    await Promise.all(points.map((p) => p.ended));
    expect(names(root)).toEqual(['point_000', 'point_001', 'point_002', 'scan.json']);
    expect(['point_000', 'point_001', 'point_002'].map((p) => text(join(root, p, 'out')))).toEqual(['1x', '2y', '3z']);
    expect(() => scan(ex, { root, params: { a: [1] }, command: ['true'] })).toThrow(/already holds a scan/);
  });

  it('rebuilt from the files alone after the store is deleted; a point that has not ended is UNKNOWN', async () => {
    const root = fresh();
    const db = join(base, `store-${n}.db`);
    const gate = join(base, `gate-${n}`);
    {
      await using ex = new JobExecutor({ backend: 'local', store: db });
      const points = scan(ex, { root, params: { rc: [0, 2, 0] }, zip: false, command: ['sh', '-c', 'exit {rc}'] });
      await Promise.all(points.map((p) => p.ended));
    }
    for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
    rmSync(join(base, '.jobf-logs'), { recursive: true, force: true });
    const runs = loadRuns(root);
    expect(runs.map((r) => [r.name, r.status, r.result, r.returncode, r.params])).toEqual([
      ['point_000', 'SUCCESSFUL', 'COMPLETED', 0, { rc: 0 }],
      ['point_001', 'FAILED', 'FAILED', 2, { rc: 2 }],
      ['point_002', 'SUCCESSFUL', 'COMPLETED', 0, { rc: 0 }],
    ]);
    expect(runs.every((r) => r.jobid !== undefined && r.end?.jobid === r.jobid.f58)).toBe(true);

    // A point whose job is still running.
    const root2 = fresh();
    await using ex = new JobExecutor({ backend: 'local' });
    const [point] = scan(ex, { root: root2, params: { x: ['a'] }, command: ['sh', '-c', `while [ ! -e ${gate} ]; do sleep 0.02; done`] });
    const running = loadRun(point!.dir);
    expect([running.status, running.jobid?.f58, running.result, running.params]).toEqual(['UNKNOWN', point!.future.id!.f58, undefined, { x: 'a' }]);
    writeFileSync(gate, '');
    expect((await point!.ended).status).toBe('SUCCESSFUL');
    expect(() => loadRuns(join(base, 'no-such-scan'))).toThrow(/is not a folder/);
  });
});

describe('jobf scan and jobf runs', () => {
  it('jobf scan --param ... -- CMD; jobf runs DIR (text and --json) after the store is deleted', async () => {
    const cwd = fresh();
    const { mkdirSync } = await import('node:fs');
    mkdirSync(cwd);
    const s = await jobf(['scan', '--root', 'runs', '--param', 'a=1,2', '--param', 'b=x,y', '--', 'sh', '-c', 'echo {a}{b}; [ {b} = x ]'], { cwd });
    expect(s.stderr).toBe('');
    expect(s.exitCode).toBe(1); // b=y points fail
    expect(s.stdout.split('\n')[0]).toBe(`scan ${join(cwd, 'runs')}: 4 points`);
    expect(s.stdout.split('\n').filter((l) => l.startsWith('point_')).sort()).toEqual([
      expect.stringMatching(/^point_000 ƒ\w+ COMPLETED exit 0 \{"a":"1","b":"x"\}$/),
      expect.stringMatching(/^point_001 ƒ\w+ FAILED exit 1 \{"a":"1","b":"y"\}$/),
      expect.stringMatching(/^point_002 ƒ\w+ COMPLETED exit 0 \{"a":"2","b":"x"\}$/),
      expect.stringMatching(/^point_003 ƒ\w+ FAILED exit 1 \{"a":"2","b":"y"\}$/),
    ]);
    expect(text(join(cwd, 'runs', 'point_002', 'stdout.txt'))).toBe('2x');
    rmSync(join(cwd, 'jobs.db'));
    rmSync(join(cwd, '.jobf-logs'), { recursive: true, force: true });
    const r = await jobf(['runs', 'runs'], { cwd });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^POINT\s+ID\s+STATUS\s+RESULT\s+EXIT\s+PARAMS$/);
    expect(r.stdout).toMatch(/point_001\s+ƒ\w+\s+FAILED\s+FAILED\s+1\s+a=1 b=y/);
    const j = await jobf(['runs', 'runs', '--json'], { cwd });
    const runs = JSON.parse(j.stdout) as { name: string; status: string; returncode: number; params: object; jobid: string }[];
    expect(runs.map((x) => [x.name, x.status, x.returncode, x.params])).toEqual([
      ['point_000', 'SUCCESSFUL', 0, { a: '1', b: 'x' }],
      ['point_001', 'FAILED', 1, { a: '1', b: 'y' }],
      ['point_002', 'SUCCESSFUL', 0, { a: '2', b: 'x' }],
      ['point_003', 'FAILED', 1, { a: '2', b: 'y' }],
    ]);
    expect(existsSync(join(cwd, 'jobs.db'))).toBe(false); // runs needs no store
  });

  it('--zip; bad input exits 2 and writes nothing (no store, no folder)', async () => {
    const cwd = fresh();
    const { mkdirSync } = await import('node:fs');
    mkdirSync(cwd);
    const z = await jobf(['scan', '--root', 'z', '--zip', '--param', 'a=1,2', '--param', 'b=x,y', '--', 'sh', '-c', 'echo {a}{b}'], { cwd });
    expect(z.exitCode).toBe(0);
    expect(names(join(cwd, 'z'))).toEqual(['point_000', 'point_001', 'scan.json']);
    for (const f of ['jobs.db', 'jobs.db-wal', 'jobs.db-shm']) rmSync(join(cwd, f), { force: true });
    const bad = [
      [['scan', '--root', 'b', '--zip', '--param', 'a=1,2', '--param', 'b=x', '--', 'true'], 'jobf: --zip: zipped parameters need as many values each: a has 2, b has 1\n'],
      [['scan', '--root', 'b', '--param', 'a', '--', 'true'], 'jobf: --param needs NAME=V1,V2,..., got "a"\n'],
      [['scan', '--root', 'b', '--', 'true'], 'jobf: "jobf scan" needs at least one --param NAME=V1,V2,...\n'],
      [['scan', '--root', 'z', '--param', 'a=1', '--', 'true'], expect.stringMatching(/^jobf: --root: .* already holds a scan/)],
      [['runs', 'nope'], expect.stringMatching(/is not a folder/)],
    ] as const;
    for (const [argv, stderr] of bad) {
      const r = await jobf(argv, { cwd });
      expect([r.exitCode, r.stderr]).toEqual([2, stderr]);
    }
    expect(names(cwd)).toEqual(['z']);
  });
});
