/**
 * The status file a job's script (its reaper, see `reaper.ts`) writes, and its start marker:
 * what the backend reads to learn a job's exact result without asking the scheduler's accounting.
 *
 * Status file: line 1 is the wait status in decimal (`code << 8`, or the signal number; the core
 * dump bit is cleared). When the command could not be started, line 2 is `exec <why>` and line 1
 * is `127 << 8` (not found) or `126 << 8` (not executable), as the local backend reports it.
 *
 * @module
 */
import { access, readFile, rm } from 'node:fs/promises';
import { startedPath, statusPath } from './job-files.js';

/** What a job's status file says. */
export interface StatusFile {
  /** The wait status: `code << 8`, or the signal number. */
  readonly waitstatus: number;
  /** Set when the command could not be started: why (e.g. `foo: command not found`). */
  readonly execError?: string;
}

/**
 * Parses a status file written by the batch script. Returns `undefined` for an empty or malformed
 * file (e.g. read while being replaced on a lagging shared filesystem).
 */
export function parseStatusFile(text: string): StatusFile | undefined {
  const lines = text.split('\n');
  const first = lines[0]?.trim() ?? '';
  if (!/^\d+$/.test(first)) return undefined;
  const waitstatus = Number(first);
  if (waitstatus > 0xffff) return undefined;
  const second = lines[1] ?? '';
  if (second.startsWith('exec ')) return { waitstatus, execError: second.slice(5) };
  return { waitstatus };
}

/** Reads and parses the status file at `file`; `undefined` when it is missing, unreadable or malformed. */
export async function readStatusFile(file: string): Promise<StatusFile | undefined> {
  try {
    return parseStatusFile(await readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Whether the start marker at `marker` (`<status>.started`) exists: the job's command runs or ran. */
export function commandStarted(marker: string): Promise<boolean> {
  return access(marker).then(
    () => true,
    () => false,
  );
}

/**
 * Removes a job's status file and start marker, so that a requeued job's previous run is not taken
 * for its next one (which may fail to start). Never rejects.
 */
export async function clearRunFiles(logDir: string, f58: string): Promise<void> {
  await Promise.all([statusPath(logDir, f58), startedPath(logDir, f58)].map((f) => rm(f, { force: true }).catch(() => undefined)));
}
