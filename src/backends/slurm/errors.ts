/**
 * Errors of the Slurm backend.
 *
 * @module
 */
import { JobfuturesError } from '../../util/errors.js';

/** A Slurm command (sbatch, squeue, scontrol, scancel, sacct) failed or could not be run. */
export class SlurmCommandError extends JobfuturesError {
  /** The command, e.g. `squeue`. */
  readonly command: string;
  /** Its arguments. */
  readonly args: readonly string[];
  /** Exit code, or `undefined` when it did not exit normally (not found, killed, timed out). */
  readonly exitCode: number | undefined;
  /** What it wrote to stderr (trimmed). */
  readonly stderr: string;

  constructor(command: string, args: readonly string[], exitCode: number | undefined, stderr: string, why: string, options?: { cause?: unknown }) {
    super('ERR_SLURM_COMMAND', `${command} ${why}${stderr ? `: ${firstLine(stderr)}` : ''}`, options);
    this.command = command;
    this.args = args;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }

  /**
   * Whether the failure means the controller could not be reached (so a submission certainly did
   * not happen and may be retried).
   */
  get unreachable(): boolean {
    return /connect failure|Connection refused/i.test(this.stderr);
  }
}

/** The Slurm backend was asked for something after {@link SlurmBackend.close}. */
export class SlurmBackendClosedError extends JobfuturesError {
  constructor() {
    super('ERR_SLURM_CLOSED', 'the Slurm backend is closed');
  }
}

/** The first non-empty line of `text`, trimmed (Slurm's error messages are one line). */
export function firstLine(text: string): string {
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t !== '') return t;
  }
  return '';
}

/** The last non-empty line of `text`, trimmed (sbatch ends with the decisive error). */
export function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines[lines.length - 1] ?? '';
}
