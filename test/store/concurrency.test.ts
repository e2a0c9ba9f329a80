/**
 * Several processes on one store: concurrent writers, a reader checking snapshots, and a writer
 * killed with SIGKILL in the middle of its work.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import Database from 'better-sqlite3';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { JobStore } from '../../src/store/index.js';
import { buildForTests } from '../cli/helpers/build.js';
import { inconsistency } from './fixtures/consistency.js';
import { tempDir } from './helpers.js';

let writer: string;
let dir: string;
let cleanup: () => void;

beforeAll(async () => {
  writer = join(await buildForTests(), 'test/store/fixtures/writer.js');
  ({ dir, cleanup } = tempDir());
}, 180_000);
afterAll(() => cleanup());

function checkStore(path: string): { jobs: number } {
  const raw = new Database(path, { readonly: true });
  try {
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(raw.pragma('foreign_key_check')).toEqual([]);
  } finally {
    raw.close();
  }
  const store = JobStore.open(path, { readonly: true });
  try {
    const jobs = store.list();
    for (const rec of jobs) expect(inconsistency(rec, store.events(rec.jobid))).toBeUndefined();
    return { jobs: jobs.length };
  } finally {
    store.close();
  }
}

describe('two processes on one store', () => {
  it('two writers and a reader: nothing lost, no SQLITE_BUSY, every snapshot consistent', async () => {
    const db = join(dir, 'shared.db');
    const stop = join(dir, 'stop');
    // Create the store first so that the children race on data, not on creation... and then
    // also race on creation in the next test.
    JobStore.open(db).close();
    const reader = execa('node', [writer, 'read', db, stop], { reject: false });
    const writers = ['a', 'b'].map((tag) => execa('node', [writer, 'write', db, '300', tag], { reject: false }));
    const results = await Promise.all(writers);
    writeFileSync(stop, '');
    const read = await reader;
    for (const r of results) {
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ ok: true, jobs: 300 });
    }
    expect(read.stderr).toBe('');
    expect(read.exitCode).toBe(0);
    const readResult = JSON.parse(read.stdout) as { ok: boolean; rounds: number };
    expect(readResult.ok).toBe(true);
    expect(readResult.rounds).toBeGreaterThan(0);

    expect(checkStore(db).jobs).toBe(600);
    const store = JobStore.open(db, { readonly: true });
    try {
      expect(store.list({ name: 'a' })).toHaveLength(300);
      expect(store.list({ name: 'b', result: 'FAILED' })).toHaveLength(100);
    } finally {
      store.close();
    }
  });

  it('two processes creating the same new store at once both succeed', async () => {
    const db = join(dir, 'created-concurrently.db');
    const results = await Promise.all(
      ['a', 'b', 'c'].map((tag) => execa('node', [writer, 'write', db, '20', tag], { reject: false })),
    );
    for (const r of results) {
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
    }
    expect(checkStore(db).jobs).toBe(60);
  });

  it('a writer killed with SIGKILL leaves a consistent store that can be written again', async () => {
    const db = join(dir, 'killed.db');
    JobStore.open(db).close();
    const child = execa('node', [writer, 'write', db, '100000', 'k'], { reject: false });
    // Let it write for a while, then kill it mid-transaction (most of its time is in transactions).
    const deadline = Date.now() + 20_000;
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      const store = JobStore.open(db, { readonly: true });
      const n = store.list({ name: 'k' }).length;
      store.close();
      if (n >= 50 || Date.now() > deadline) break;
    }
    child.kill('SIGKILL');
    const r = await child;
    expect(r.signal).toBe('SIGKILL');

    const { jobs } = checkStore(db);
    expect(jobs).toBeGreaterThanOrEqual(50);
    const again = await execa('node', [writer, 'write', db, '5', 'after'], { reject: false });
    expect(again.exitCode).toBe(0);
    expect(checkStore(db).jobs).toBe(jobs + 5);
  });
});
