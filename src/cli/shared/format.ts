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

/** SGR colour codes of states and results (on a terminal only: `CliIO.color`). */
const COLORS: Readonly<Record<string, string>> = {
  COMPLETED: '32', // green
  FAILED: '31', // red
  TIMEOUT: '31',
  CANCELED: '33', // yellow
  RUN: '36', // cyan
  CLEANUP: '36',
  NEW: '34', // blue
  DEPEND: '34',
  PRIORITY: '34',
  SCHED: '34',
  INACTIVE: '2', // dim
};

/**
 * A state or result (or a text starting with one, e.g. `NEW (held)`) in its colour when `color`,
 * else as it is.
 */
export function paint(text: string, color: boolean): string {
  if (!color) return text;
  const code = COLORS[text.split(' ')[0]!];
  return code === undefined ? text : `\x1b[${code}m${text}\x1b[0m`;
}

const ESC = '\u001b';
/** One SGR sequence (`ESC [ ... m`). */
const SGR = new RegExp(`${ESC}\\[[0-9;]*m`, 'g');
const SGR_SPLIT = new RegExp(`(${ESC}\\[[0-9;]*m)`);

/** The number of characters a text shows (colour codes take none). */
function visibleLength(text: string): number {
  return [...text.replace(SGR, '')].length;
}

/** The first `n` visible characters of a text, colour codes kept (and closed if cut open). */
function visibleSlice(text: string, n: number): string {
  let out = '';
  let shown = 0;
  let open = false;
  for (const part of text.split(SGR_SPLIT)) {
    if (part.startsWith(ESC)) {
      if (shown < n) {
        out += part;
        open = part !== `${ESC}[0m`;
      }
      continue;
    }
    const chars = [...part];
    out += chars.slice(0, n - shown).join('');
    shown += Math.min(chars.length, n - shown);
  }
  return open ? `${out}${ESC}[0m` : out;
}

/** Options of {@link renderTable}. */
export interface TableOptions {
  /** Alignment per column; default left. */
  readonly align?: readonly ('left' | 'right')[];
  /** Truncate the last column so lines fit this width (with `…`). Default: no limit. */
  readonly maxWidth?: number;
  /** Colours the cells of these columns with {@link paint} (the header is never coloured). Default: none. */
  readonly paintColumns?: readonly number[];
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
  const lines = all.map((row, r) => {
    let line = row
      .map((cell, c) => {
        const shown = r > 0 && opts.paintColumns?.includes(c) ? paint(cell, true) : cell;
        if (c === row.length - 1 && (opts.align?.[c] ?? 'left') === 'left') return shown;
        const pad = widths[c]! - [...cell].length;
        return opts.align?.[c] === 'right' ? ' '.repeat(pad) + shown : shown + ' '.repeat(pad);
      })
      .join('  ');
    if (opts.maxWidth !== undefined && visibleLength(line) > opts.maxWidth) {
      line = visibleSlice(line, Math.max(1, opts.maxWidth - 1)) + '…';
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

/**
 * The STATE column: the state, with `(held)` for an active job of urgency 0.
 *
 * @param waiting - The job is queued in the store behind dependencies that are not done
 *   ({@link waitingOnDependencies}): shown as `DEPEND` rather than `NEW`.
 */
export function stateText(rec: JobRecord, waiting = false): string {
  const state = waiting && rec.state === 'NEW' ? 'DEPEND' : rec.state;
  return rec.urgency === 0 && rec.state !== 'INACTIVE' ? `${state} (held)` : state;
}

/**
 * The AFTER column: the jobs it depends on (`~` marks `--after-any`), at most `max` of them and
 * `+N` for the others; `-` if none.
 */
export function dependenciesText(rec: JobRecord, max = 2): string {
  if (rec.dependencies.length === 0) return '-';
  const shown = rec.dependencies.slice(0, max).map((d) => (d.kind === 'afterany' ? `~${d.jobid.f58}` : d.jobid.f58));
  return shown.join(',') + (rec.dependencies.length > max ? `,+${rec.dependencies.length - max}` : '');
}

/**
 * The jobs among `recs` still queued in the store (NEW, of a backend that queues them there) with
 * a dependency that is not done: not INACTIVE, or no longer in the store. Their stored state is
 * NEW until `jobf execute` takes them; they are shown as DEPEND.
 *
 * @param queuedInStore - Whether a backend's jobs wait in the store (its plug-in does not submit at once).
 * @param statesOf - The states of the given ids (absent: not in the store).
 */
export function waitingOnDependencies(
  recs: readonly JobRecord[],
  queuedInStore: (backend: string) => boolean,
  statesOf: (ids: readonly JobRecord['jobid'][]) => ReadonlyMap<bigint, string>,
): Set<bigint> {
  const candidates = recs.filter((r) => r.state === 'NEW' && r.dependencies.length > 0 && queuedInStore(r.backend));
  const states = statesOf(candidates.flatMap((r) => r.dependencies.map((d) => d.jobid)));
  return new Set(candidates.filter((r) => r.dependencies.some((d) => states.get(d.jobid.value) !== 'INACTIVE')).map((r) => r.jobid.value));
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
