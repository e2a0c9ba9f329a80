/**
 * {@link SlurmCommands}: runs the Slurm command line tools and counts every call.
 *
 * @module
 */
import { execa } from 'execa';
import { SlurmCommandError } from './errors.js';

/** Options of {@link SlurmCommands}. */
export interface SlurmCommandsOptions {
  /**
   * Prepended to every command, e.g. `['ssh', 'login1']` or `['docker', 'exec', 'slurmctl']`.
   * Default: none (the tools are run directly, found on `PATH`).
   */
  readonly prefix?: readonly string[];
  /** Kill a command that runs longer than this (ms). Default 60000. */
  readonly timeoutMs?: number;
  /** The environment the tools run with. Default: {@link schedulerEnvironment} of `process.env`. */
  readonly env?: Readonly<Record<string, string>>;
}

/** Output of a successful command. */
export interface CommandOutput {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The environment for Slurm's tools: only what they need from `env` (`PATH`, `HOME`, `USER`,
 * `LOGNAME`, `LANG`, `SLURM_CONF`, `SLURM_CLUSTERS`, and `SBATCH_*` defaults such as
 * `SBATCH_PARTITION`), plus `SLURM_BITSTR_LEN=0` (full array task lists in squeue) and
 * `SLURM_TIME_FORMAT=standard`. Other `SLURM_*` variables (an enclosing allocation's
 * `SLURM_JOB_ID`, ...) and `SQUEUE_*` overrides stay out, so output formats and jobs are the same
 * wherever the backend runs. With `sbatch --export=ALL` this is also all the job inherits
 * before its script sets the job's own environment.
 */
export function schedulerEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    if (['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'SLURM_CONF', 'SLURM_CLUSTERS'].includes(k) || k.startsWith('SBATCH_')) out[k] = v;
  }
  out.SLURM_BITSTR_LEN = '0';
  out.SLURM_TIME_FORMAT = 'standard';
  return out;
}

/**
 * Runs sbatch, squeue, scontrol, scancel and sacct (through an optional prefix) with a fixed
 * environment, rejects with {@link SlurmCommandError} on failure, and counts each call by tool
 * name in {@link SlurmCommands.counts}.
 */
export class SlurmCommands {
  readonly #prefix: readonly string[];
  readonly #timeoutMs: number;
  readonly #env: Readonly<Record<string, string>>;
  readonly #counts: Record<string, number> = {};

  constructor(opts: SlurmCommandsOptions = {}) {
    this.#prefix = opts.prefix ?? [];
    this.#timeoutMs = opts.timeoutMs ?? 60_000;
    this.#env = opts.env ?? schedulerEnvironment(process.env);
  }

  /** Calls made so far, by tool name (e.g. `{ sbatch: 200, squeue: 14 }`). */
  get counts(): Readonly<Record<string, number>> {
    return this.#counts;
  }

  /**
   * Runs `tool args...`; resolves with its output when it exits 0.
   *
   * @throws {@link SlurmCommandError} when it cannot be started, exits non-zero, or times out.
   */
  async run(tool: string, args: readonly string[], opts: { input?: string } = {}): Promise<CommandOutput> {
    this.#counts[tool] = (this.#counts[tool] ?? 0) + 1;
    const [file, ...pre] = this.#prefix.length > 0 ? [...this.#prefix, tool] : [tool];
    const result = await execa(file!, [...pre, ...args], {
      env: this.#env,
      extendEnv: false,
      reject: false,
      timeout: this.#timeoutMs,
      ...(opts.input === undefined ? { stdin: 'ignore' as const } : { input: opts.input }),
      stripFinalNewline: false,
      encoding: 'utf8',
    });
    const stderr = typeof result.stderr === 'string' ? result.stderr.trim() : '';
    if (result.failed) {
      const why = result.timedOut
        ? `timed out after ${this.#timeoutMs} ms`
        : result.exitCode !== undefined
          ? `exited with code ${result.exitCode}`
          : result.signal
            ? `was killed by ${result.signal}`
            : `could not be run (${result.code ?? result.shortMessage})`;
      throw new SlurmCommandError(tool, args, result.exitCode, stderr || (result.exitCode === undefined ? (result.shortMessage ?? '') : ''), why, { cause: result.cause });
    }
    return { stdout: String(result.stdout), stderr };
  }
}
