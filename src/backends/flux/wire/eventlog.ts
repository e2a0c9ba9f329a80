/**
 * Job eventlog entries (RFC 18: `{timestamp, name, context?}`), the text form the KVS keeps
 * (one JSON object per line), and the wait status of a `finish` event.
 *
 * @module
 */
import { FluxProtocolError } from './errors.js';
import { parseJson, type JsonObject, type JsonValue } from './json.js';

/** One eventlog entry. */
export interface EventlogEntry {
  /** Seconds since the epoch, with a fractional part. */
  timestamp: number;
  /** Event name: submit, validate, depend, priority, alloc, start, finish, release, free, clean, exception, urgency... */
  name: string;
  /** Event-specific data, `{}` when the entry has none. */
  context: JsonObject;
}

/**
 * Checks and normalises one entry (as found in journal responses' `events` arrays).
 *
 * @throws {@link FluxProtocolError} if it lacks a numeric timestamp or a string name.
 */
export function toEventlogEntry(v: JsonValue | undefined, where: string): EventlogEntry {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new FluxProtocolError(where, 'eventlog entry is not an object');
  const { timestamp, name, context } = v;
  if (typeof timestamp !== 'number' || typeof name !== 'string') {
    throw new FluxProtocolError(where, `eventlog entry without numeric timestamp and string name: ${JSON.stringify(v, bigintSafe)}`);
  }
  const ctx = typeof context === 'object' && context !== null && !Array.isArray(context) ? context : {};
  return { timestamp, name, context: ctx };
}

function bigintSafe(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

/** Parses one entry from its JSON text (a line of an eventlog, or job-info's `event` string). */
export function parseEventlogEntry(line: string, where: string): EventlogEntry {
  let v: JsonValue;
  try {
    v = parseJson(line);
  } catch (e) {
    throw new FluxProtocolError(where, `eventlog entry is not JSON (${(e as Error).message})`);
  }
  return toEventlogEntry(v, where);
}

/** Parses a whole eventlog (newline-separated entries, blank lines ignored). */
export function parseEventlog(text: string, where: string): EventlogEntry[] {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => parseEventlogEntry(l, where));
}

/** A decoded wait status (the `status` of a `finish` event's context, as from waitpid()). */
export interface WaitStatus {
  /** The raw wait status. */
  status: number;
  /** Exit code if the job exited (WIFEXITED), else `undefined`. */
  exitCode: number | undefined;
  /** Terminating signal if killed by one (WIFSIGNALED), else `undefined`. */
  signal: number | undefined;
}

/** Decodes a wait status the way `WIFEXITED`/`WEXITSTATUS`/`WTERMSIG` do on Linux. */
export function decodeWaitStatus(status: number): WaitStatus {
  const sig = status & 0x7f;
  if (sig === 0) return { status, exitCode: (status >> 8) & 0xff, signal: undefined };
  return { status, exitCode: undefined, signal: sig };
}
