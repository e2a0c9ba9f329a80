/**
 * Output helpers of `jobf`: tables, ages, shell quoting, and the JSON shape of a job.
 */
import type { JobRecord, StoredEvent } from '../../store/index.js';

/**
 * A short age: `42s`, `5m`, `3h`, `12d` (whole units, rounded down; `0s` for negative ages, which a
 * clock step can produce).
 *
 * @param seconds - The age in seconds.
 */
export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** An epoch timestamp (float seconds) as ISO 8601 UTC with milliseconds. */
export function formatTime(timestamp: number): string {
  return new Date(timestamp * 1000).toISOString();
}

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Quotes words for a POSIX shell, only where needed: `echo 'a b' x`.
 *
 * @param words - The command line.
 */
export function shellQuote(words: readonly string[]): string {
  return words.map((w) => (SAFE_WORD.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`)).join(' ');
}

/** Options of {@link renderTable}. */
export interface TableOptions {
  /** Alignment per column; default left. */
  readonly align?: readonly ('left' | 'right')[];
  /** Truncate the last column so lines fit this width (with `…`). Default: no limit. */
  readonly maxWidth?: number;
}

/**
 * Renders rows as aligned columns separated by two spaces, header first. Trailing spaces are
 * trimmed.
 *
 * @param header - Column titles.
 * @param rows - Cells; every row has as many cells as the header.
 * @param opts - See {@link TableOptions}.
 * @returns Lines joined with `\n`, ending with `\n`.
 */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[], opts: TableOptions = {}): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => [...(r[c] ?? '')].length)));
  const lines = all.map((row) => {
    let line = row
      .map((cell, c) => {
        if (c === row.length - 1 && (opts.align?.[c] ?? 'left') === 'left') return cell;
        const pad = widths[c]! - [...cell].length;
        return opts.align?.[c] === 'right' ? ' '.repeat(pad) + cell : cell + ' '.repeat(pad);
      })
      .join('  ');
    if (opts.maxWidth !== undefined && [...line].length > opts.maxWidth) {
      line = [...line].slice(0, Math.max(1, opts.maxWidth - 1)).join('') + '…';
    }
    return line.trimEnd();
  });
  return lines.join('\n') + '\n';
}

/**
 * The command of a stored jobspec (`tasks[0].command`, RFC 25), read without validating the spec.
 * `[]` if the spec has none.
 */
export function commandOf(spec: Record<string, unknown>): string[] {
  const tasks = spec['tasks'];
  if (!Array.isArray(tasks)) return [];
  const command = (tasks[0] as { command?: unknown } | undefined)?.command;
  return Array.isArray(command) ? command.filter((w): w is string => typeof w === 'string') : [];
}

/** `RESULT` / `EXIT` text of a job for tables: `-` where there is nothing yet. */
export function resultText(rec: JobRecord): { result: string; exit: string } {
  return { result: rec.result ?? '-', exit: rec.returncode === undefined ? '-' : String(rec.returncode) };
}

/** The STATE column: the state, with `(held)` for an active job of urgency 0. */
export function stateText(rec: JobRecord): string {
  return rec.urgency === 0 && rec.state !== 'INACTIVE' ? `${rec.state} (held)` : rec.state;
}

/** The JSON shape of a job in `--json` output. Absent values are `null`, so every key is always there. */
export interface JobJSON {
  id: string;
  dec: string;
  name: string;
  backend: string;
  state: string;
  result: string | null;
  returncode: number | null;
  waitstatus: number | null;
  exception: { type: string; severity: number; note: string } | null;
  urgency: number;
  command: string[];
  cwd: string | null;
  stdout: string | null;
  stderr: string | null;
  logDir: string | null;
  arrayId: string | null;
  arrayIndex: number | null;
  dependencies: { id: string; kind: string }[];
  nativeId: string | null;
  owner: { pid: number; host: string } | null;
  attempt: number;
  submittedAt: number;
  tRun: number | null;
  tCleanup: number | null;
}

/** Converts a job for `--json` output. */
export function jobJSON(rec: JobRecord): JobJSON {
  return {
    id: rec.jobid.f58,
    dec: rec.jobid.dec,
    name: rec.name,
    backend: rec.backend,
    state: rec.state,
    result: rec.result ?? null,
    returncode: rec.returncode ?? null,
    waitstatus: rec.waitstatus ?? null,
    exception: rec.exception ? { ...rec.exception } : null,
    urgency: rec.urgency,
    command: commandOf(rec.spec),
    cwd: rec.cwd ?? null,
    stdout: rec.stdout ?? null,
    stderr: rec.stderr ?? null,
    logDir: rec.logDir ?? null,
    arrayId: rec.arrayId?.f58 ?? null,
    arrayIndex: rec.arrayIndex ?? null,
    dependencies: rec.dependencies.map((d) => ({ id: d.jobid.f58, kind: d.kind })),
    nativeId: rec.nativeId ?? null,
    owner: rec.owner ? { pid: rec.owner.pid, host: rec.owner.host } : null,
    attempt: rec.attempt,
    submittedAt: rec.submittedAt,
    tRun: rec.tRun ?? null,
    tCleanup: rec.tCleanup ?? null,
  };
}

/**
 * One event as a JSON line, in Flux's eventlog format (`timestamp`, `name`, `context`) plus the
 * job id, `seq` and `attempt`.
 */
export function eventJSONLine(id: string, ev: StoredEvent): string {
  return JSON.stringify({
    id,
    seq: ev.seq,
    attempt: ev.attempt,
    timestamp: ev.timestamp,
    name: ev.name,
    context: ev.context ?? {},
  });
}
