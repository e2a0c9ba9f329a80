/**
 * The contract every spawner must meet, run against each implementation by the *.test.ts files.
 */
import { chmodSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SpawnerFactory } from '../../src/backends/local/spawner.js';
import { SpawnerClosedError } from '../../src/backends/local/spawn-common.js';
import {
  BASE_ENV,
  Harness,
  alive,
  eventually,
  groupMembers,
  prng,
  randomArg,
  readText,
  removeDir,
  tempDir,
  writeExecutable,
  type Outcome,
} from './harness.js';

export interface SpawnerUnderTest {
  readonly name: string;
  readonly factory: SpawnerFactory;
  /** Whether `pgid > 0` makes the process join that group. */
  readonly joinsGroups: boolean;
  /** Skip the whole suite with this reason (e.g. the launcher is not built). */
  readonly skip?: string;
}

function exitOf(o: Outcome): { pid: number; status: number } {
  if (o.kind !== 'exit') throw new Error(`expected an exit, got ${JSON.stringify(o)}`);
  return o;
}

function errorOf(o: Outcome): string {
  if (o.kind !== 'error') throw new Error(`expected a start failure, got ${JSON.stringify(o)}`);
  return o.errno;
}

export function spawnerSuite(s: SpawnerUnderTest): void {
  describe.skipIf(s.skip !== undefined)(`spawner contract: ${s.name}`, () => {
    let h: Harness;
    let dir: string;
    const extra: Harness[] = [];

    function harness(): Harness {
      const x = new Harness(s.factory);
      extra.push(x);
      return x;
    }

    beforeAll(() => {
      dir = tempDir();
      h = new Harness(s.factory);
    });

    afterEach(() => {
      expect(h.problems).toEqual([]);
      for (const x of extra) expect(x.problems).toEqual([]);
    });

    afterAll(async () => {
      await h.spawner.close();
      for (const x of extra) await x.spawner.close();
      removeDir(dir);
    });

    it('has the expected name', () => {
      expect(h.spawner.name).toBe(s.name);
    });

    it('passes argv byte-exact (quotes, newlines, unicode, leading dashes, empty strings)', async () => {
      const rand = prng(20240611);
      const runs = [];
      for (let i = 0; i < 40; i++) {
        const args = Array.from({ length: 1 + Math.floor(rand() * 8) }, () => randomArg(rand));
        if (i === 0) args.push('', '-', '--', '--version', 'x'.repeat(50_000));
        const out = join(dir, `argv-${i}.out`);
        runs.push(
          h.run({ argv: ['printf', '%s\\0', ...args], stdout: out, stderr: join(dir, `argv-${i}.err`) }).then((o) => {
            expect(exitOf(o).status).toBe(0);
            const got = readText(out).split('\0');
            expect(got.pop()).toBe('');
            expect(got).toEqual(args);
          }),
        );
      }
      await Promise.all(runs);
    });

    it('passes exactly the request environment, extras overriding the base', async () => {
      const base = ['A=1', 'B=with space', 'C=line\nbreak', 'EMPTY=', 'PATH=/usr/bin:/bin', 'UNI=日本🙂', 'Q="\'$x'];
      const out = join(dir, 'env.out');
      const o = await h.run({ argv: ['env', '-0'], env: base, extraEnv: ['A=2', 'X=extra'], stdout: out });
      expect(exitOf(o).status).toBe(0);
      const got = readText(out).split('\0').filter((e) => e !== '');
      const want = [...base.filter((e) => !e.startsWith('A=')), 'A=2', 'X=extra'];
      expect(got.sort()).toEqual(want.sort());

      const out2 = join(dir, 'env2.out');
      expect(exitOf(await h.run({ argv: ['env', '-0'], env: base, stdout: out2 })).status).toBe(0);
      expect(readText(out2).split('\0').filter((e) => e !== '').sort()).toEqual([...base].sort());
    });

    it('uses /bin:/usr/bin when the environment has no PATH, and passes an empty environment', async () => {
      const out = join(dir, 'noenv.out');
      const o = await h.run({ argv: ['env', '-0'], env: [], stdout: out });
      expect(exitOf(o).status).toBe(0);
      expect(readText(out)).toBe('');
    });

    it("looks argv[0] up in the request environment's PATH, and runs #!-less scripts with /bin/sh", async () => {
      const bin = join(dir, 'pathbin');
      writeExecutable(join(bin, 'jobf-hello'), '#!/bin/sh\necho "hello $1"\n');
      writeExecutable(join(bin, 'jobf-noshebang'), 'echo "plain $1"\n');
      const env = [`PATH=/nonexistent:${bin}:/usr/bin:/bin`];
      const out1 = join(dir, 'hello.out');
      expect(exitOf(await h.run({ argv: ['jobf-hello', 'x'], env, stdout: out1 })).status).toBe(0);
      expect(readText(out1)).toBe('hello x\n');
      const out2 = join(dir, 'plain.out');
      expect(exitOf(await h.run({ argv: ['jobf-noshebang', 'y'], env, stdout: out2 })).status).toBe(0);
      expect(readText(out2)).toBe('plain y\n');
      expect(errorOf(await h.run({ argv: ['jobf-hello'], env: ['PATH=/usr/bin:/bin'] }))).toBe('ENOENT');
      const out3 = join(dir, 'hello-extra.out');
      const viaExtra = await h.run({ argv: ['jobf-hello', 'z'], env: ['PATH=/usr/bin'], extraEnv: [`PATH=${bin}`], stdout: out3 });
      expect(exitOf(viaExtra).status).toBe(0);
      expect(readText(out3)).toBe('hello z\n');
    });

    it('writes stdout and stderr to separate files, truncating them', async () => {
      const out = join(dir, 'sep.out');
      const err = join(dir, 'sep.err');
      writeFileSync(out, 'old content that must disappear\n'.repeat(100));
      writeFileSync(err, 'old\n'.repeat(100));
      const o = await h.run({ argv: ['sh', '-c', 'echo out; echo err >&2; echo out2'], stdout: out, stderr: err });
      expect(exitOf(o).status).toBe(0);
      expect(readText(out)).toBe('out\nout2\n');
      expect(readText(err)).toBe('err\n');
    });

    it('shares one open file when stdout and stderr are the same path', async () => {
      const both = join(dir, 'both.log');
      writeFileSync(both, 'x'.repeat(1000));
      const o = await h.run({
        argv: ['sh', '-c', 'echo one; echo two >&2; echo three; echo four >&2'],
        stdout: both,
        stderr: both,
      });
      expect(exitOf(o).status).toBe(0);
      expect(readText(both)).toBe('one\ntwo\nthree\nfour\n');
    });

    it('reads stdin from a file, and from /dev/null by default', async () => {
      const input = join(dir, 'in.txt');
      writeFileSync(input, 'line 1\nline 2 é\n');
      const out = join(dir, 'cat.out');
      expect(exitOf(await h.run({ argv: ['cat'], stdin: input, stdout: out })).status).toBe(0);
      expect(readText(out)).toBe('line 1\nline 2 é\n');
      const out2 = join(dir, 'fd0.out');
      expect(exitOf(await h.run({ argv: ['readlink', '/proc/self/fd/0'], stdout: out2 })).status).toBe(0);
      expect(readText(out2)).toBe('/dev/null\n');
    });

    it('starts processes with no signal ignored and none blocked (SIGPIPE too)', async () => {
      const out = join(dir, 'status.out');
      // cat is the process itself: its /proc status shows what it inherited across exec
      expect(exitOf(await h.run({ argv: ['cat', '/proc/self/status'], stdout: out })).status).toBe(0);
      const field = (name: string): string => /^(\w+):\s*(\S+)/m.exec(readText(out).split('\n').find((l) => l.startsWith(`${name}:`)) ?? '')?.[2] ?? '';
      expect(field('SigIgn')).toBe('0000000000000000');
      expect(field('SigBlk')).toBe('0000000000000000');
    });

    it('runs in the requested working directory (also for relative program paths)', async () => {
      const work = join(dir, 'work dir');
      writeExecutable(join(work, 'local.sh'), '#!/bin/sh\npwd -P\n');
      const out = join(dir, 'pwd.out');
      expect(exitOf(await h.run({ argv: ['./local.sh'], cwd: work, stdout: out })).status).toBe(0);
      expect(readText(out)).toBe(`${realpathSync(work)}\n`);
    });

    it('reports a bad working directory as such, not as a missing program', async () => {
      expect(errorOf(await h.run({ argv: ['true'], cwd: join(dir, 'no', 'such', 'dir') }))).toBe('ENOENT:cwd');
      expect(errorOf(await h.run({ argv: ['/bin/true'], cwd: join(dir, 'no-such-dir') }))).toBe('ENOENT:cwd');
      const file = join(dir, 'a-file');
      writeFileSync(file, '');
      expect(errorOf(await h.run({ argv: ['true'], cwd: file }))).toBe('ENOTDIR:cwd');
      const o = await h.run({ argv: ['true'], cwd: join(dir, 'nope') });
      expect(o.kind === 'error' && o.message).toContain('working directory');
    });

    it('reports a missing program as ENOENT', async () => {
      expect(errorOf(await h.run({ argv: ['jobf-definitely-not-a-command'] }))).toBe('ENOENT');
      expect(errorOf(await h.run({ argv: [join(dir, 'missing-program')] }))).toBe('ENOENT');
      const o = await h.run({ argv: ['jobf-definitely-not-a-command'] });
      expect(o.kind === 'error' && o.message).toContain('jobf-definitely-not-a-command');
    });

    it('reports a file that is not executable as EACCES', async () => {
      const file = join(dir, 'noexec', 'jobf-noexec');
      writeExecutable(file, '#!/bin/sh\necho hi\n', 0o644);
      chmodSync(file, 0o644);
      expect(errorOf(await h.run({ argv: [file] }))).toBe('EACCES');
      expect(errorOf(await h.run({ argv: ['jobf-noexec'], env: [`PATH=${join(dir, 'noexec')}`] }))).toBe('EACCES');
    });

    it('reports redirect files that cannot be opened, naming the stream', async () => {
      const missing = join(dir, 'no-such-folder', 'x');
      expect(errorOf(await h.run({ argv: ['true'], stdin: missing }))).toBe('ENOENT:stdin');
      expect(errorOf(await h.run({ argv: ['true'], stdout: missing }))).toBe('ENOENT:stdout');
      expect(errorOf(await h.run({ argv: ['true'], stderr: missing }))).toBe('ENOENT:stderr');
    });

    it('reports NUL bytes as EINVAL', async () => {
      expect(errorOf(await h.run({ argv: ['echo', 'a\0b'] }))).toBe('EINVAL');
      expect(errorOf(await h.run({ argv: ['true'], env: ['A=\0'] }))).toBe('EINVAL');
    });

    it('reports exit codes as wait statuses', async () => {
      for (const code of [0, 1, 3, 42, 255]) {
        expect(exitOf(await h.run({ argv: ['sh', '-c', `exit ${code}`] })).status).toBe(code << 8);
      }
    });

    it('kills a process with a signal and reports the signal in the wait status', async () => {
      const a = h.start({ argv: ['sleep', '100'] });
      const pid = await a.spawned;
      h.spawner.kill(pid, 'SIGTERM', false);
      expect(exitOf(await a.done)).toEqual({ kind: 'exit', pid, status: 15 });
      const b = h.start({ argv: ['sleep', '100'] });
      const pid2 = await b.spawned;
      h.spawner.kill(pid2, 'SIGKILL', true);
      expect(exitOf(await b.done).status).toBe(9);
      // Gone processes: no throw, no effect.
      h.spawner.kill(pid, 'SIGTERM', false);
      h.spawner.kill(pid2, 'SIGKILL', true);
      expect(() => h.spawner.kill(pid2, 'SIGNOPE' as NodeJS.Signals, true)).toThrow(/signal/);
    });

    it('makes each process lead a new process group, and a group kill takes its grandchildren', async () => {
      const a = h.start({ argv: ['sh', '-c', 'sleep 100 & sleep 100; echo never'] });
      const pid = await a.spawned;
      expect(await eventually(() => groupMembers(pid).length >= 2)).toBe(true);
      expect(groupMembers(pid)).toContain(pid);
      h.spawner.kill(pid, 'SIGKILL', true);
      expect(exitOf(await a.done).status).toBe(9);
      expect(await eventually(() => groupMembers(pid).length === 0)).toBe(true);
    });

    it('reaches stragglers of a group whose leader already exited', async () => {
      const a = h.start({ argv: ['sh', '-c', 'sleep 100 & exit 0'] });
      const pid = await a.spawned;
      expect(exitOf(await a.done).status).toBe(0);
      expect(await eventually(() => groupMembers(pid).length === 1)).toBe(true);
      h.spawner.kill(pid, 'SIGKILL', true);
      expect(await eventually(() => groupMembers(pid).length === 0)).toBe(true);
    });

    if (s.joinsGroups) {
      it('lets a process join an existing group of this spawner (pgid > 0)', async () => {
        const leader = h.start({ argv: ['sleep', '100'] });
        const lpid = await leader.spawned;
        const member = h.start({ argv: ['sleep', '100'], pgid: lpid });
        const mpid = await member.spawned;
        expect(await eventually(() => groupMembers(lpid).includes(mpid))).toBe(true);
        h.spawner.kill(lpid, 'SIGKILL', true);
        expect(exitOf(await leader.done).status).toBe(9);
        expect(exitOf(await member.done).status).toBe(9);
        expect(errorOf(await h.run({ argv: ['true'], pgid: lpid }))).toBe('EPERM:pgid');
        expect(errorOf(await h.run({ argv: ['true'], pgid: 1 }))).toBe('EPERM:pgid');
      });
    } else {
      it('gives every process its own group even when asked to join one (documented)', async () => {
        const leader = h.start({ argv: ['sleep', '100'] });
        const lpid = await leader.spawned;
        const member = h.start({ argv: ['sleep', '100'], pgid: lpid });
        const mpid = await member.spawned;
        expect(await eventually(() => groupMembers(mpid).includes(mpid))).toBe(true);
        h.spawner.kill(lpid, 'SIGKILL', true);
        h.spawner.kill(mpid, 'SIGKILL', true);
        expect(exitOf(await leader.done).status).toBe(9);
        expect(exitOf(await member.done).status).toBe(9);
      });
    }

    it('runs 500 processes at concurrency 8, reporting every exit exactly once', async () => {
      const x = harness();
      const total = 500;
      const pidsInFlight = new Set<number>();
      let duplicatePid = false;
      const all = await runBounded(total, 8, (i) => {
        const st = x.start({ argv: i % 2 ? ['true'] : ['/bin/true'] });
        void st.spawned.then((pid) => {
          if (pidsInFlight.has(pid)) duplicatePid = true;
          pidsInFlight.add(pid);
        });
        return st.done.then((o) => {
          if (o.kind === 'exit') pidsInFlight.delete(o.pid);
          return o;
        });
      });
      expect(all.length).toBe(total);
      expect(all.every((o) => o.kind === 'exit' && o.status === 0)).toBe(true);
      expect(x.exits).toBe(total);
      expect(x.outstanding).toBe(0);
      expect(duplicatePid).toBe(false);
    });

    it('is not confused by background children that outlive their jobs (orphans, early exits)', async () => {
      const x = harness();
      const total = 120;
      const scripts = ['sleep 0.05 & exit 3', 'exit 3', '(sleep 0.02 &); exit 3'];
      const all = await runBounded(total, 16, (i) => x.start({ argv: ['sh', '-c', scripts[i % 3]!] }).done);
      expect(all.filter((o) => o.kind !== 'exit' || o.status !== 3 << 8)).toEqual([]);
      expect(x.exits).toBe(total);
    });

    it('close() kills what is running, reports the exits, and leaves no process behind', async () => {
      const x = harness();
      const started = Array.from({ length: 5 }, () => x.start({ argv: ['sh', '-c', 'sleep 100 & sleep 100'] }));
      const pids = await Promise.all(started.map((st) => st.spawned));
      for (const pid of pids) expect(await eventually(() => groupMembers(pid).length >= 2)).toBe(true);
      await x.spawner.close();
      for (const st of started) expect(exitOf(await st.done).status).toBe(9);
      for (const pid of pids) expect(await eventually(() => groupMembers(pid).length === 0, 3000)).toBe(true);
      expect(() => x.spawner.spawn({ key: 1, argv: ['true'], env: BASE_ENV, stdout: '/dev/null', stderr: '/dev/null', pgid: 0 })).toThrow(
        SpawnerClosedError,
      );
      await x.spawner.close(); // idempotent
    });

    it('close() right after a burst of spawns settles every request once and leaves no process', async () => {
      const x = harness();
      const started = Array.from({ length: 40 }, () => x.start({ argv: ['sleep', '100'] }));
      const pids: number[] = [];
      for (const st of started) void st.spawned.then((pid) => pids.push(pid));
      await new Promise((r) => setTimeout(r, 5));
      await x.spawner.close();
      const outcomes = await Promise.all(started.map((st) => st.done));
      for (const o of outcomes) {
        if (o.kind === 'exit') expect(o.status).toBe(9);
        else expect(o).toMatchObject({ kind: 'error', errno: 'ECANCELED' });
      }
      expect(x.outstanding).toBe(0);
      for (const pid of pids) expect(await eventually(() => !alive(pid), 3000)).toBe(true);
    });

    it('close() on a spawner that never spawned resolves at once', async () => {
      await harness().spawner.close();
    });

    it('rejects a key that is still in use', async () => {
      const a = h.start({ argv: ['sleep', '100'], key: 777_777 });
      const pid = await a.spawned;
      expect(() =>
        h.spawner.spawn({ key: 777_777, argv: ['true'], env: BASE_ENV, stdout: '/dev/null', stderr: '/dev/null', pgid: 0 }),
      ).toThrow(/still in use/);
      h.spawner.kill(pid, 'SIGKILL', true);
      await a.done;
      expect(alive(pid)).toBe(false);
    });
  });
}

/** Starts `total` tasks (`start(i)`, i from 0), at most `concurrency` at a time; resolves to their outcomes in start order. */
async function runBounded<T>(total: number, concurrency: number, start: (i: number) => Promise<T>): Promise<T[]> {
  const outcomes: Promise<T>[] = [];
  let next = 0;
  await new Promise<void>((resolve) => {
    let running = 0;
    const launch = (): void => {
      while (running < concurrency && next < total) {
        running++;
        outcomes.push(
          start(next++).then((o) => {
            running--;
            if (next < total) launch();
            else if (running === 0) resolve();
            return o;
          }),
        );
      }
    };
    launch();
  });
  return Promise.all(outcomes);
}
