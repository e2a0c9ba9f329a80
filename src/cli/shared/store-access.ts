/**
 * Opening the job store the way a shell user expects from file permissions:
 *
 * - a store one may not read (or whose folder one may not enter) says "permission denied" and the
 *   path, for every command;
 * - a store one may not write says so before a writing command does anything;
 * - a read-only store (file and folder not writable) can still be read. SQLite cannot open a WAL
 *   database read-only when its `-shm` file is missing and cannot be created in a read-only folder
 *   (`SQLITE_READONLY_DIRECTORY`); then a private copy of the file is read instead. Nobody can
 *   write the store there meanwhile (the folder is read-only, so no `-wal` file can appear), so the
 *   copy is exactly what is stored.
 */
import { accessSync, constants, copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { JobfuturesError } from '../../util/errors.js';
import { JobStore, StoreOpenError } from '../../store/index.js';

/** The job store (or its folder) may not be read or written by this user. Exit code 2. */
export class StorePermissionError extends JobfuturesError {
  /** The store's path. */
  readonly path: string;

  /**
   * @param path - The store.
   * @param access - What was denied.
   * @param hint - What still works, if anything.
   */
  constructor(path: string, access: 'read' | 'write', hint?: string) {
    super('ERR_PERMISSION', `cannot ${access} the job store ${path}: permission denied${hint ? ` (${hint})` : ''}`);
    this.path = path;
  }
}

function denied(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'EACCES' || code === 'EPERM' || code === 'EROFS';
}

function may(path: string, mode: number): boolean {
  try {
    accessSync(path, mode);
    return true;
  } catch (err) {
    if (denied(err)) return false;
    throw err;
  }
}

/**
 * Whether there is a file at `path`.
 *
 * @throws {@link StorePermissionError} if that cannot be told because a folder on the way may not
 *   be entered.
 */
export function storeExists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (err) {
    if (denied(err)) throw new StorePermissionError(path, 'read');
    return false;
  }
}

/** Copies of read-only stores, by the copy's path: the original's path. */
const copies = new Map<string, string>();

/** The path of the store as the user named it (not that of a private copy). */
export function storePathOf(store: JobStore): string {
  return copies.get(store.path) ?? store.path;
}

function removeCopies(): void {
  for (const copy of copies.keys()) rmSync(dirname(copy), { recursive: true, force: true });
  copies.clear();
}

/** A new private folder in the first temporary folder this user may write. */
function privateTempDir(path: string): string {
  for (const base of [tmpdir(), '/dev/shm', '/var/tmp']) {
    try {
      return mkdtempSync(join(base, 'jobf-readonly-'));
    } catch {
      // not writable here: the next one
    }
  }
  throw new StorePermissionError(path, 'read', `it is read-only and SQLite cannot read it in place; no writable temporary folder for a copy (set TMPDIR)`);
}

function openCopy(path: string): JobStore {
  const dir = privateTempDir(path);
  if (copies.size === 0) process.once('exit', removeCopies);
  const copy = join(dir, 'jobs.db');
  copies.set(copy, path);
  copyFileSync(path, copy);
  if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${copy}-wal`);
  return JobStore.open(copy, { readonly: true });
}

/**
 * Opens an existing (or, unless `readonly`, a new) store.
 *
 * @throws {@link StorePermissionError} when this user may not read it, or may not write it (or its
 *   folder) and `readonly` is false.
 * @throws What `JobStore.open` throws otherwise.
 */
export function openStoreFile(path: string, readonly: boolean): JobStore {
  const exists = storeExists(path);
  if (exists && !may(path, constants.R_OK)) throw new StorePermissionError(path, 'read');
  if (!readonly) {
    const folderWritable = may(dirname(path), constants.W_OK);
    if (!exists && !folderWritable) throw new StorePermissionError(path, 'write', `its folder ${dirname(path)} is not writable`);
    if (exists && (!may(path, constants.W_OK) || (!folderWritable && !existsSync(`${path}-wal`)))) {
      throw new StorePermissionError(path, 'write', 'it is read-only; list, show, events and report still work');
    }
    return JobStore.open(path);
  }
  try {
    return JobStore.open(path, { readonly: true });
  } catch (err) {
    const code = (err as { cause?: { code?: unknown } }).cause?.code;
    if (err instanceof StoreOpenError && code === 'SQLITE_READONLY_DIRECTORY') return openCopy(path);
    throw err;
  }
}
