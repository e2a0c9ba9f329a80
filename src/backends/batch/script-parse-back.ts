/**
 * {@link parseOwnScript}: reads one of our generated job scripts back (see `job-script.ts`) to
 * learn which jobfutures job a scheduler job runs, for recovery after the owner died and for
 * adopted jobs that a jobfutures backend submitted.
 *
 * @module
 */
import { taskBodyPath } from './job-files.js';
import { SCRIPT_MARKER, TABLE_ROW_PREFIX } from './job-script.js';

/** What a generated script says about one of its jobs. */
export interface OwnScriptJob {
  /** The log folder the script writes the job's status file to. */
  readonly logDir: string;
  /** The job's F58 id. */
  readonly f58: string;
  /**
   * Whether the script opens the default outputs itself (`<logDir>/<f58>.out`, `.err`). For a
   * task of a coalesced array with a {@link OwnScriptJob.taskFile}, the task file tells: see
   * {@link opensDefaultOutputs}.
   */
  readonly defaultOutputs: boolean;
  /** Coalesced arrays: the task body file the job's task sources (`<logDir>/<f58>.task`). */
  readonly taskFile?: string;
}

/**
 * What our batch script `script` says about its job, or, for an array, about the task whose index
 * (the value of the scheduler's array index variable, e.g. `4` of Slurm's `123_4`) is
 * `arrayIndex`: its log folder, its F58 id (from the script's index table), whether it keeps
 * the default output files, and its task body file if it has one. `undefined` if the script is
 * not one of ours or has no such task.
 */
export function parseOwnScript(script: string, arrayIndex?: string): OwnScriptJob | undefined {
  if (!script.includes(SCRIPT_MARKER)) return undefined;
  const logDir = unquote(/^__jf_log=(.*)$/m.exec(script)?.[1]);
  if (arrayIndex !== undefined && !/^\d+$/.test(arrayIndex)) return undefined;
  // One job: `__jf_id=X`. Arrays: a case row `N) __jf_id=X[ __jf_body=Y] ;;`, or (big arrays) a
  // table row `#@N X[ Y]` at the end, which holds the words unquoted.
  let f58: string | undefined;
  let body: string | undefined;
  if (arrayIndex === undefined) f58 = unquote(/^__jf_id=(.*)$/m.exec(script)?.[1]);
  else {
    const row = new RegExp(`^${arrayIndex}\\) __jf_id=(\\S+)(?: __jf_body=(\\S+))? ;;$`, 'm').exec(script);
    const tail = row ? undefined : new RegExp(`^${TABLE_ROW_PREFIX}${arrayIndex} (\\S+)(?: (\\S+))?$`, 'm').exec(script);
    f58 = row ? unquote(row[1]) : tail?.[1];
    body = row ? unquote(row[2]) : tail?.[2];
  }
  if (logDir === undefined || f58 === undefined) return undefined;
  if (body !== undefined) return { logDir, f58, defaultOutputs: false, taskFile: taskBodyPath(logDir, body) };
  return { logDir, f58, defaultOutputs: opensDefaultOutputs(script, logDir) };
}

/** Whether a generated script or task body file `text` opens the default outputs in `logDir` itself. */
export function opensDefaultOutputs(text: string, logDir: string): boolean {
  const q = /^[A-Za-z0-9_@%+:,./-]+$/.test(logDir) ? logDir : `'${logDir}'`;
  return text.includes(`\nexec >${q}/"$__jf_id".out 2>${q}/"$__jf_id".err `);
}

/** Reverses `shQuote` for the simple words it writes (plain, or one '...' without quotes inside). */
function unquote(word: string | undefined): string | undefined {
  if (word === undefined) return undefined;
  if (/^'[^']*'$/.test(word)) return word.slice(1, -1);
  return /^[A-Za-z0-9_@%+:,./\u0080-\uffff-]+$/.test(word) ? word : undefined;
}
