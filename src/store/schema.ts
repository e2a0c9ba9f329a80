/**
 * The job store's SQLite schema, how a file is recognised as a job store, and how a new one is
 * initialised. Nothing here ever writes to a file that is not (or not yet) ours: a file is only
 * initialised when it is empty (no bytes, or a SQLite database with no schema and no marks).
 */
import type Database from 'better-sqlite3';

import { StoreFormatError, StoreOpenError } from './errors.js';

/** `PRAGMA application_id` of a job store: the ASCII bytes `JOBF`. */
export const APPLICATION_ID = 0x4a4f4246;

/** `PRAGMA user_version` of the schema this code writes and reads. */
export const SCHEMA_VERSION = 1;

/** The tables every job store has. */
export const TABLES = ['meta', 'jobs', 'events', 'dependencies'] as const;

/**
 * Schema version 1.
 *
 * - Job ids are decimal TEXT: SQLite integers are signed 64-bit and job ids are unsigned 64-bit
 *   (FLUIDs with the top bit set, ids adopted from elsewhere), and text keeps the file readable
 *   with the `sqlite3` shell. `jobs.id` (the rowid) gives insertion order.
 * - `events` is append-only; `seq` counts from 1 per job across attempts.
 * - `state` ... `t_cleanup` are derived from the events (see derive.ts) and kept in step by the
 *   same transaction that appends an event.
 * - `dependencies.depends_on` has no foreign key: deleting a job leaves the edges of the jobs that
 *   waited for it, so they can tell their dependency is gone.
 */
export const SCHEMA_SQL = `
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE jobs (
  id                 INTEGER PRIMARY KEY,
  jobid              TEXT    NOT NULL UNIQUE,
  name               TEXT    NOT NULL,
  backend            TEXT    NOT NULL,
  spec               TEXT    NOT NULL,
  urgency            INTEGER NOT NULL,
  state              TEXT    NOT NULL,
  result             TEXT,
  returncode         INTEGER,
  waitstatus         INTEGER,
  exception_type     TEXT,
  exception_severity INTEGER,
  exception_note     TEXT,
  native_id          TEXT,
  stdout             TEXT,
  stderr             TEXT,
  log_dir            TEXT,
  cwd                TEXT,
  array_id           TEXT,
  array_index        INTEGER,
  owner              TEXT,
  attempt            INTEGER NOT NULL,
  attempt_seq        INTEGER NOT NULL,
  last_seq           INTEGER NOT NULL,
  submitted_at       REAL    NOT NULL,
  t_run              REAL,
  t_cleanup          REAL,
  updated_at         REAL    NOT NULL
) STRICT;
CREATE INDEX jobs_state ON jobs (state);
CREATE INDEX jobs_name ON jobs (name);
CREATE INDEX jobs_array ON jobs (array_id) WHERE array_id IS NOT NULL;

CREATE TABLE events (
  jobid     TEXT    NOT NULL REFERENCES jobs (jobid) ON DELETE CASCADE,
  seq       INTEGER NOT NULL,
  attempt   INTEGER NOT NULL,
  name      TEXT    NOT NULL,
  timestamp REAL    NOT NULL,
  context   TEXT,
  PRIMARY KEY (jobid, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE dependencies (
  jobid      TEXT NOT NULL REFERENCES jobs (jobid) ON DELETE CASCADE,
  depends_on TEXT NOT NULL,
  kind       TEXT NOT NULL CHECK (kind IN ('afterok', 'afterany')),
  PRIMARY KEY (jobid, depends_on)
) STRICT;
CREATE INDEX dependencies_depends_on ON dependencies (depends_on);
`;

/** What {@link inspect} found in a file. */
type Inspection = { readonly kind: 'ours'; readonly version: number } | { readonly kind: 'empty' };

function sqliteCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Looks at an open file without writing to it.
 *
 * @throws {@link StoreFormatError} if it is not a job store (nor empty), is corrupt, or is newer.
 */
function inspect(db: Database.Database, path: string): Inspection {
  let appId: number;
  let version: number;
  let tables: string[];
  let objects: number;
  try {
    appId = db.pragma('application_id', { simple: true }) as number;
    version = db.pragma('user_version', { simple: true }) as number;
    const rows = db.prepare(`SELECT type, name FROM sqlite_schema`).all() as { type: string; name: string }[];
    objects = rows.length;
    tables = rows.filter((r) => r.type === 'table').map((r) => r.name);
  } catch (err) {
    const code = sqliteCode(err);
    if (code === 'SQLITE_NOTADB') {
      throw new StoreFormatError(path, 'is not a jobfutures job store: it is not a SQLite database', { cause: err });
    }
    if (code?.startsWith('SQLITE_CORRUPT')) {
      throw new StoreFormatError(path, `is corrupt: ${(err as Error).message}`, { cause: err });
    }
    throw new StoreOpenError(path, (err as Error).message, { cause: err });
  }

  if (appId === APPLICATION_ID) {
    if (version > SCHEMA_VERSION) {
      throw new StoreFormatError(
        path,
        `was written by a newer jobfutures (schema version ${version}; this one reads up to ${SCHEMA_VERSION})`,
      );
    }
    if (version < 1) {
      throw new StoreFormatError(path, `is damaged: it is marked as a job store but has schema version ${version}`);
    }
    const missing = TABLES.filter((t) => !tables.includes(t));
    if (missing.length > 0) {
      throw new StoreFormatError(path, `is damaged: table ${missing.join(', ')} is missing`);
    }
    return { kind: 'ours', version };
  }
  if (appId === 0 && version === 0 && objects === 0) return { kind: 'empty' };
  const hex = `0x${(appId >>> 0).toString(16).padStart(8, '0')}`;
  const what =
    appId !== 0
      ? `a SQLite database of another program (application_id ${hex})`
      : `a SQLite database of another program (${tables.length} table${tables.length === 1 ? '' : 's'}, no jobfutures mark)`;
  throw new StoreFormatError(path, `is not a jobfutures job store: it is ${what}`);
}

/** Writes the schema into an empty file, in one transaction. */
function initialise(db: Database.Database, path: string): void {
  // The file is empty, so switching it to WAL cannot hurt anybody's data.
  db.pragma('journal_mode = WAL');
  db.transaction(() => {
    // Another process may have initialised (or claimed) the file since we looked.
    if (inspect(db, path).kind === 'ours') return;
    db.exec(SCHEMA_SQL);
    db.prepare('INSERT INTO meta (key, value) VALUES (?, ?), (?, ?)').run(
      'created_at',
      new Date().toISOString(),
      'created_by',
      'jobfutures',
    );
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

/**
 * Makes sure `db` is a job store and sets up the connection: WAL, `synchronous=NORMAL`, foreign
 * keys. An empty file becomes a store (unless `readonly`); anything else that is not a store is
 * refused untouched.
 *
 * @param db - A freshly opened connection.
 * @param path - The path, for messages.
 * @param readonly - The connection is read-only.
 * @throws {@link StoreFormatError} if the file is not a job store, is corrupt, or is newer.
 * @throws {@link StoreOpenError} if it is empty and `readonly` (nothing to read).
 */
export function prepareStore(db: Database.Database, path: string, readonly: boolean): void {
  const found = inspect(db, path);
  if (found.kind === 'empty') {
    if (readonly) throw new StoreOpenError(path, 'the file is empty (no job was ever stored in it)');
    initialise(db, path);
  } else if (!readonly) {
    db.pragma('journal_mode = WAL');
  }
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
}
