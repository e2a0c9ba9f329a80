import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LauncherSpawner } from '../../src/backends/local/launcher-spawner.js';
import { Harness, LAUNCHER_BINARY, buildLauncher, removeDir, tempDir } from './harness.js';
import { spawnerSuite } from './suite.js';

buildLauncher();

spawnerSuite({
  name: 'launcher',
  factory: (listener) => new LauncherSpawner(listener, { binary: LAUNCHER_BINARY }),
  joinsGroups: true,
  skip: LauncherSpawner.available(LAUNCHER_BINARY) ? undefined : 'the launcher is not built (no C compiler?)',
});

describe.skipIf(!LauncherSpawner.available(LAUNCHER_BINARY))('launcher hand-off', () => {
  const harnesses: Harness[] = [];
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
  });
  afterEach(async () => {
    for (const h of harnesses.splice(0)) {
      await h.spawner.close();
      expect(h.problems).toEqual([]);
    }
  });
  afterAll(() => removeDir(dir));

  function harness(): Harness {
    const h = new Harness((l) => new LauncherSpawner(l, { binary: LAUNCHER_BINARY }));
    harnesses.push(h);
    return h;
  }

  /** A process that runs until `go` exists. */
  const gated = (go: string): string[] => ['sh', '-c', 'while [ ! -e "$0" ]; do sleep 0.01; done', go];

  it('starts standbys only from the slots that exits of their class hand over, oldest first', async () => {
    const h = harness();
    const go = join(dir, 'go-1');
    const a = h.start({ argv: gated(go), handoffClass: 1 });
    await a.spawned;
    const s1 = h.start({ argv: ['true'], handoffClass: 1, standby: true });
    const s2 = h.start({ argv: ['true'], handoffClass: 1, standby: true });
    const other = h.start({ argv: ['true'], handoffClass: 2, standby: true });
    // The launcher reads requests in order: once a later request has spawned, it holds the standbys,
    // so `a` cannot exit before they are queued (it did on a loaded CI machine).
    const barrier = h.start({ argv: ['true'], handoffClass: 3 });
    await barrier.spawned;
    await barrier.done;
    writeFileSync(go, '');
    expect(await a.done).toMatchObject({ kind: 'exit', status: 0, handedTo: s1.key });
    expect(await s1.done).toMatchObject({ kind: 'exit', status: 0, handedTo: s2.key });
    const last = await s2.done;
    // the oldest standby left is of another class: no hand-off
    expect(last.kind === 'exit' && last.handedTo).toBe(undefined);
    h.spawner.withdraw!(other.key);
    expect(await other.done).toEqual({ kind: 'withdrawn' });
    expect(h.log.filter((line) => !line.endsWith(` ${barrier.key}`))).toEqual([`spawn ${a.key}`, `exit ${a.key} > ${s1.key}`, `spawn ${s1.key}`, `exit ${s1.key} > ${s2.key}`, `spawn ${s2.key}`, `exit ${s2.key}`, `withdrawn ${other.key}`]);
  });

  it('promote starts a standby at once; a standby is never started twice', async () => {
    const h = harness();
    const go = join(dir, 'go-2');
    const a = h.start({ argv: gated(go), handoffClass: 1 });
    await a.spawned;
    const s = h.start({ argv: ['true'], handoffClass: 1, standby: true });
    h.spawner.promote!(s.key);
    expect(await s.done).toMatchObject({ kind: 'exit', status: 0 });
    writeFileSync(go, '');
    const end = await a.done;
    expect(end.kind === 'exit' && end.handedTo).toBe(undefined);
    h.spawner.withdraw!(s.key); // finished: nothing to take back
    expect(h.log).toEqual([`spawn ${a.key}`, `spawn ${s.key}`, `exit ${s.key}`, `exit ${a.key}`]);
  });

  it('withdraw takes back a waiting standby, which never runs; close() withdraws the rest', async () => {
    const h = harness();
    const go = join(dir, 'go-3');
    const a = h.start({ argv: gated(go), handoffClass: 1 });
    await a.spawned;
    const marker = join(dir, 'ran');
    const s1 = h.start({ argv: ['touch', marker], handoffClass: 1, standby: true });
    const s2 = h.start({ argv: ['touch', marker], handoffClass: 1, standby: true });
    h.spawner.withdraw!(s1.key);
    expect(await s1.done).toEqual({ kind: 'withdrawn' });
    const closed = h.spawner.close();
    expect(await s2.done).toEqual({ kind: 'withdrawn' });
    expect(await a.done).toMatchObject({ kind: 'exit', status: 9 });
    await closed;
    expect(existsSync(marker)).toBe(false);
  });

  it('rejects a standby request without a class', () => {
    const h = harness();
    expect(() => h.start({ argv: ['true'], standby: true })).toThrow(/handoffClass/);
  });
});
