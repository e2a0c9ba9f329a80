/**
 * Parsers of Slurm command output (squeue, sbatch, scontrol, sacct); status files are parsed by
 * `../batch/status-file.ts`. Pure functions, tested on captured real output (`test/slurm/fixtures`).
 *
 * @module
 */
import { expandIndexRange } from '../batch/index.js';

/**
 * The `squeue --Format` the backend asks for: fields end with `|` (which also lifts the 20
 * character width), Reason last since it is free text. `exit_code` is the raw wait status.
 * Run squeue with `SLURM_BITSTR_LEN=0`, or array task lists are cut at 64 characters.
 */
export const SQUEUE_FORMAT = 'JobID:|,ArrayJobID:|,ArrayTaskID:|,State:|,exit_code:|,NodeList:|,Reason:|';

/** One job (or one line of pending array tasks) from `squeue -O` {@link SQUEUE_FORMAT}. */
export interface SqueueRow {
  /** Slurm's job id (for a line of pending array tasks: the array's id). */
  readonly jobId: string;
  /** The array's job id, or `undefined` for a job that is not part of an array. */
  readonly arrayJobId: string | undefined;
  /**
   * Array task indices this line stands for: one for a started task, several for a line of
   * pending tasks (`2-9%2`, `1,4,9`, `1-71:2`); empty for a job that is not an array task.
   */
  readonly arrayTaskIds: readonly number[];
  /** Job state, e.g. `PENDING`, `RUNNING`, `COMPLETED` (extra words such as `+` dropped). */
  readonly state: string;
  /** Raw wait status of the batch script (`exit_code`), or `undefined` if not a number. */
  readonly exitCode: number | undefined;
  /** Allocated nodes; empty for a job that never got any. */
  readonly nodeList: string;
  /** Why a job waits or ended (`None`, `Priority`, `DependencyNeverSatisfied`, ...). */
  readonly reason: string;
}

/**
 * Parses `squeue -h -O` {@link SQUEUE_FORMAT} output. Lines that do not have the expected
 * fields are skipped (and counted in `skipped`), never thrown on.
 */
export function parseSqueue(stdout: string): { rows: SqueueRow[]; skipped: number } {
  const rows: SqueueRow[] = [];
  let skipped = 0;
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const f = line.split('|');
    if (f.length < 7) {
      skipped++;
      continue;
    }
    const jobId = f[0]!.trim();
    const arrayJobIdField = f[1]!.trim();
    const taskField = f[2]!.trim();
    const state = normalizeState(f[3]!.trim());
    const ec = f[4]!.trim();
    if (!/^\d+$/.test(jobId) || state === '') {
      skipped++;
      continue;
    }
    const isArray = taskField !== '' && taskField !== 'N/A';
    const arrayTaskIds = isArray ? expandArrayTaskIds(taskField) : [];
    rows.push({
      jobId,
      arrayJobId: isArray && /^\d+$/.test(arrayJobIdField) ? arrayJobIdField : undefined,
      arrayTaskIds,
      state,
      exitCode: /^\d+$/.test(ec) ? Number(ec) : undefined,
      nodeList: f[5]!.trim(),
      reason: f.slice(6).join('|').replace(/\|$/, '').trim(),
    });
  }
  return { rows, skipped };
}

/**
 * Expands a Slurm array task expression: `7`, `2-9`, `2-9%2` (throttle dropped), `1,4,9`,
 * `1-71:2` (step), or combinations. Returns `[]` for anything malformed.
 */
export function expandArrayTaskIds(expr: string): number[] {
  return expandIndexRange(expr.replace(/%\d+$/, ''));
}

/**
 * The keys under which a row is found: `<jobid>` always, and `<arrayid>_<index>` for each array
 * task it stands for (the native ids the backend uses for fan-out jobs).
 */
export function squeueRowKeys(row: SqueueRow): string[] {
  const keys = [row.jobId];
  if (row.arrayJobId !== undefined) for (const i of row.arrayTaskIds) keys.push(`${row.arrayJobId}_${i}`);
  return keys;
}

/**
 * Parses `sbatch --parsable` output: `<jobid>` or `<jobid>;<cluster>` on the last line (sbatch
 * may print warnings before it). Returns `undefined` if there is no job id.
 */
export function parseSbatchParsable(stdout: string): string | undefined {
  const lines = stdout.trim().split('\n');
  const last = lines[lines.length - 1]?.trim() ?? '';
  const m = /^(\d+)(?:;.*)?$/.exec(last);
  return m?.[1];
}

/** Parses `scontrol show config` (`Key = value` lines) into a map. */
export function parseScontrolConfig(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^([A-Za-z][A-Za-z0-9_]*)\s+=\s?(.*)$/.exec(line);
    if (m) out.set(m[1]!, m[2]!.trim());
  }
  return out;
}

/**
 * Converts Slurm's `exit:signal` notation (sacct/scontrol `ExitCode`, e.g. `3:0`, `0:9`) into a
 * wait status (`exit << 8 | signal`). `undefined` if malformed.
 */
export function exitCodeToWaitStatus(text: string): number | undefined {
  const m = /^(\d+):(\d+)$/.exec(text.trim());
  if (!m) return undefined;
  const code = Number(m[1]);
  const sig = Number(m[2]);
  if (code > 255 || sig > 127) return undefined;
  return sig !== 0 ? sig : code << 8;
}

/**
 * Parses `sacct -X -n -P -o JobID,State,ExitCode` output into `jobid → {state, waitstatus}`.
 * Array tasks appear as `<arrayid>_<index>`. For jobs listed several times (requeues), the last
 * line wins.
 */
export function parseSacct(stdout: string): Map<string, { state: string; waitstatus: number | undefined }> {
  const out = new Map<string, { state: string; waitstatus: number | undefined }>();
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const [id, state, exit] = line.split('|');
    if (id === undefined || state === undefined || exit === undefined) continue;
    out.set(id.trim(), { state: normalizeState(state.trim()), waitstatus: exitCodeToWaitStatus(exit) });
  }
  return out;
}

/** `CANCELLED by 0` → `CANCELLED`; `COMPLETED+` → `COMPLETED`. */
function normalizeState(s: string): string {
  return (s.split(/\s+/)[0] ?? '').replace(/\+$/, '');
}
