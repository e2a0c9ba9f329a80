/**
 * Opening files: new stores are created, our stores reopen, anything else is refused untouched.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { APPLICATION_ID, JobStore, SCHEMA_VERSION, StoreFormatError, StoreOpenError } from '../../src/store/index.js';
import { newJob, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

/** Expects `open` to fail with StoreFormatError and the file (and its neighbours) to be unchanged. */
function expectRefused(path: string, message: RegExp): StoreFormatError {
  const before = readFileSync(path);
  let error: unknown;
  try {
    JobStore.open(path).close();
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(StoreFormatError);
  const e = error as StoreFormatError;
  expect(e.code).toBe('ERR_STORE_FORMAT');
  expect(e.path).toBe(path);
  expect(e.message).toContain(path);
  expect(e.message).toMatch(message);
  expect(readFileSync(path).equals(before)).toBe(true);
  expect(existsSync(`${path}-wal`)).toBe(false);
  expect(existsSync(`${path}-journal`)).toBe(false);
  return e;
}

describe('creating and reopening', () => {
  it('creates a new store: WAL, marked, versioned, with its tables', () => {
    const path = join(dir, 'new.db');
    const store = JobStore.open(path);
    store.close();
    const raw = new Database(path, { readonly: true });
    try {
      expect(raw.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
      expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      const tables = raw.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`).pluck().all();
      expect(tables).toEqual(['dependencies', 'events', 'jobs', 'meta']);
    } finally {
      raw.close();
    }
  });

  it('initialises an existing empty file', () => {
    const path = join(dir, 'empty.db');
    writeFileSync(path, '');
    const store = JobStore.open(path);
    store.insertJob(newJob());
    store.close();
    expect(JobStore.open(path, { readonly: true }).list()).toHaveLength(1);
  });

  it('reopens a store with its jobs', () => {
    const path = join(dir, 'jobs.db');
    const job = newJob();
    const a = JobStore.open(path);
    a.insertJob(job);
    a.close();
    const b = JobStore.open(path);
    expect(b.get(job.jobid)?.name).toBe('job');
    b.close();
  });

  it('read-only: refuses a missing or empty file without creating anything', () => {
    const missing = join(dir, 'missing.db');
    expect(() => JobStore.open(missing, { readonly: true })).toThrow(StoreOpenError);
    expect(existsSync(missing)).toBe(false);
    const empty = join(dir, 'empty.db');
    writeFileSync(empty, '');
    expect(() => JobStore.open(empty, { readonly: true })).toThrow(/empty/);
    expect(readFileSync(empty).length).toBe(0);
  });

  it('refuses a directory and bad options', () => {
    const sub = join(dir, 'sub');
    mkdirSync(sub);
    expect(() => JobStore.open(sub)).toThrow(/directory/);
    expect(() => JobStore.open(join(dir, 'x.db'), { busyTimeoutMs: -1 })).toThrow(/busyTimeoutMs/);
    expect(() => JobStore.open('')).toThrow(/path/);
  });
});

describe('files that are not ours are never modified', () => {
  it('a text file', () => {
    const path = join(dir, 'notes.txt');
    writeFileSync(path, 'these are my notes\n'.repeat(200));
    expectRefused(path, /is not a jobfutures job store: it is not a SQLite database/);
  });

  it('a short binary file', () => {
    const path = join(dir, 'blob.db');
    writeFileSync(path, Buffer.from([0, 1, 2, 3, 4, 5, 6, 7]));
    expectRefused(path, /not a SQLite database/);
  });

  it('another program\'s SQLite database', () => {
    const path = join(dir, 'other.db');
    const other = new Database(path);
    other.exec(`CREATE TABLE jobs (id INTEGER PRIMARY KEY, what TEXT); INSERT INTO jobs (what) VALUES ('mine');`);
    other.close();
    expectRefused(path, /it is a SQLite database of another program \(1 table, no jobfutures mark\)/);
  });

  it('another program\'s SQLite database in WAL mode with an application id', () => {
    const path = join(dir, 'other-wal.db');
    const other = new Database(path);
    other.pragma('journal_mode = WAL');
    other.pragma('application_id = 1234');
    other.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1);');
    other.close();
    const before = readFileSync(path);
    expect(() => JobStore.open(path)).toThrow(/application_id 0x000004d2/);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('an empty SQLite database that has a user_version set', () => {
    const path = join(dir, 'versioned.db');
    const other = new Database(path);
    other.pragma('user_version = 7');
    other.close();
    expectRefused(path, /another program/);
  });

  it('a corrupt store', () => {
    const path = join(dir, 'corrupt.db');
    const store = JobStore.open(path);
    for (let i = 0; i < 50; i++) store.insertJob(newJob());
    store.close();
    const bytes = readFileSync(path);
    // Keep the 100-byte header (so it still looks like SQLite), scramble the rest.
    for (let i = 100; i < bytes.length; i++) bytes[i] = (i * 131) & 0xff;
    writeFileSync(path, bytes);
    expectRefused(path, /is corrupt|not a SQLite database|malformed/);
  });

  it('a store written by a newer version', () => {
    const path = join(dir, 'newer.db');
    JobStore.open(path).close();
    const raw = new Database(path);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    const e = expectRefused(path, /newer jobfutures \(schema version 2; this one reads up to 1\)/);
    expect(e.name).toBe('StoreFormatError');
  });

  it('a store that lost a table', () => {
    const path = join(dir, 'damaged.db');
    JobStore.open(path).close();
    const raw = new Database(path);
    raw.exec('DROP TABLE dependencies');
    raw.close();
    expectRefused(path, /damaged: table dependencies is missing/);
  });
});
