/**
 * Reading a Slurm job's own script back: which of our jobs a Slurm job runs (its `Command` is one
 * of our `<logDir>/<f58>.sbatch` scripts), found through `scontrol show job` or `squeue %o`.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { trimSlash } from '../batch/job-files.js';
import { parseOwnScript, type OwnScriptJob } from '../batch/script-parse-back.js';
import { SLURM_SCRIPT_SUFFIX } from './profile.js';

/**
 * What our batch script `script` says about Slurm job `nativeId` (`123`, or array task `123_4`:
 * the job of index 4 in the script's table). `undefined` if the script is not one of ours.
 */
export function ownJobOf(script: string, nativeId: string): OwnScriptJob | undefined {
  const index = nativeId.includes('_') ? nativeId.split('_')[1]! : undefined;
  return parseOwnScript(script, index);
}

/** Whether `command` (a Slurm job's `Command`) names a script this backend generated in `logDir`. */
export function isOurScriptPath(command: string, logDir: string): boolean {
  return command.endsWith(SLURM_SCRIPT_SUFFIX) && command.startsWith(`${trimSlash(logDir)}/`);
}

/** What `scontrol show job -o ID` says about a job's files. */
export interface ScontrolJobFiles {
  readonly stdout: string | undefined;
  readonly stderr: string | undefined;
  /** The batch script, if it is a `.sbatch` file (one of ours, maybe). */
  readonly script: string | undefined;
}

/** Parses the `StdOut=`, `StdErr=` and `Command=` fields of `scontrol show job -o` output. */
export function parseScontrolJobFiles(stdout: string): ScontrolJobFiles {
  return {
    stdout: /\bStdOut=(\S*)/.exec(stdout)?.[1] || undefined,
    stderr: /\bStdErr=(\S*)/.exec(stdout)?.[1] || undefined,
    script: new RegExp(`\\bCommand=(\\S+\\${SLURM_SCRIPT_SUFFIX})(?=\\s|$)`).exec(stdout)?.[1],
  };
}

/** Reads scripts once each (several array tasks share one); unreadable ones are `undefined`. */
export class ScriptCache {
  readonly #scripts = new Map<string, string | undefined>();

  /** The text of the script at `file`, or `undefined` if it cannot be read. */
  async read(file: string): Promise<string | undefined> {
    if (!this.#scripts.has(file)) this.#scripts.set(file, await readFile(file, 'utf8').catch(() => undefined));
    return this.#scripts.get(file);
  }
}
