/**
 * {@link parseOwnScript}: reads one of our generated job scripts back (see `job-script.ts`) to
 * learn which jobfutures job a scheduler job runs, for recovery after the owner died and for
 * adopted jobs that a jobfutures backend submitted.
 *
 * @module
 */
import { SCRIPT_MARKER } from './job-script.js';

/** What a generated script says about one of its jobs. */
export interface OwnScriptJob {
  /** The log folder the script writes the job's status file to. */
  readonly logDir: string;
  /** The job's F58 id. */
  readonly f58: string;
  /** Whether the script opens the default outputs itself (`<logDir>/<f58>.out`, `.err`). */
  readonly defaultOutputs: boolean;
}

/**
 * What our batch script `script` says about its job, or, for an array, about the task whose index
 * (the value of the scheduler's array index variable, e.g. `4` of Slurm's `123_4`) is
 * `arrayIndex`: its log folder, its F58 id (from the script's index table), and whether it keeps
 * the default output files. `undefined` if the script is not one of ours or has no such task.
 */
export function parseOwnScript(script: string, arrayIndex?: string): OwnScriptJob | undefined {
  if (!script.includes(SCRIPT_MARKER)) return undefined;
  const logDir = unquote(/^__jf_log=(.*)$/m.exec(script)?.[1]);
  if (arrayIndex !== undefined && !/^\d+$/.test(arrayIndex)) return undefined;
  const idLine = arrayIndex === undefined ? /^__jf_id=(.*)$/m.exec(script) : new RegExp(`^${arrayIndex}\\) __jf_id=(.*) ;;$`, 'm').exec(script);
  const f58 = unquote(idLine?.[1]);
  if (logDir === undefined || f58 === undefined) return undefined;
  const q = /^[A-Za-z0-9_@%+:,./-]+$/.test(logDir) ? logDir : `'${logDir}'`;
  return { logDir, f58, defaultOutputs: script.includes(`\nexec >${q}/"$__jf_id".out 2>${q}/"$__jf_id".err `) };
}

/** Reverses `shQuote` for the simple words it writes (plain, or one '...' without quotes inside). */
function unquote(word: string | undefined): string | undefined {
  if (word === undefined) return undefined;
  if (/^'[^']*'$/.test(word)) return word.slice(1, -1);
  return /^[A-Za-z0-9_@%+:,./\u0080-\uffff-]+$/.test(word) ? word : undefined;
}
