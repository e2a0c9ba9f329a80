/**
 * {@link SchedulerCommands}: runs a scheduler's command line tools (sbatch, qsub, flux, ...)
 * through an optional prefix, with a fixed environment and a time-out, and counts every call.
 *
 * @module
 */
import { execa } from 'execa';
import { JobfuturesError } from '../../util/errors.js';
import { firstLine } from './text.js';

/** A scheduler command (sbatch, squeue, qsub, qstat, ...) failed or could not be run. */
export class SchedulerCommandError extends JobfuturesError {
  /** The tool, e.g. `squeue` or `qstat`. */
  readonly tool: string;
  /** Its arguments. */
  readonly args: readonly string[];
  /** Exit code, or `undefined` when it did not exit normally (not found, killed, timed out). */
  readonly exitCode: number | undefined;
  /** What it wrote to stderr (trimmed). */
  readonly stderr: string;

  /**
   * @param tool - The tool that failed.
   * @param args - Its arguments.
   * @param exitCode - Its exit code, if it exited.
   * @param stderr - Its stderr, trimmed (the first line goes into the message).
   * @param why - What went wrong, e.g. `exited with code 1`.
   */
  constructor(tool: string, args: readonly string[], exitCode: number | undefined, stderr: string, why: string, options?: { cause?: unknown }) {
    super('ERR_SCHEDULER_COMMAND', `${tool} ${why}${stderr ? `: ${firstLine(stderr)}` : ''}`, options);
    this.tool = tool;
    this.args = args;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/** Default of {@link SchedulerCommandsOptions.timeoutMs}, in ms. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 60_000;

/** Options of {@link SchedulerCommands}. */
export interface SchedulerCommandsOptions {
  /**
   * Prepended to every command, e.g. `['ssh', 'login1']` or `['docker', 'exec', 'ctl']`.
   * Default: none (the tools are run directly, found on `PATH`).
   */
  readonly prefix?: readonly string[];
  /** Kill a command that runs longer than this (ms). Default 60000. */
  readonly timeoutMs?: number;
  /**
   * The environment the tools run with, exactly (nothing of `process.env` is added). Build it
   * with {@link toolEnvironment}. Default: {@link toolEnvironment} of `process.env` with no extras.
   */
  readonly env?: Readonly<Record<string, string>>;
}

/** Output of a successful command. */
export interface CommandOutput {
  readonly stdout: string;
  readonly stderr: string;
}

/** What {@link toolEnvironment} keeps and sets beside the basics. */
export interface ToolEnvironmentRule {
  /** Variables kept when set (e.g. `SLURM_CONF`, `SGE_ROOT`). */
  readonly names?: readonly string[];
  /** Variables kept by prefix (e.g. `SBATCH_` for sbatch's option defaults). */
  readonly prefixes?: readonly string[];
  /** Variables set whatever `env` holds (e.g. output format switches). */
  readonly set?: Readonly<Record<string, string>>;
}

/** Always kept from the caller's environment: what any tool needs to find itself and its user. */
const BASIC = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG'];

/**
 * The environment for a scheduler's tools: only `PATH`, `HOME`, `USER`, `LOGNAME`, `LANG` and what
 * `rule` keeps from `env`, plus `rule.set`. Everything else (an enclosing job's variables, format
 * overrides) stays out, so output formats and jobs are the same wherever the backend runs.
 */
export function toolEnvironment(env: NodeJS.ProcessEnv, rule: ToolEnvironmentRule = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const names = [...BASIC, ...(rule.names ?? [])];
  const prefixes = rule.prefixes ?? [];
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    if (names.includes(k) || prefixes.some((p) => k.startsWith(p))) out[k] = v;
  }
  return Object.assign(out, rule.set);
}

/**
 * Runs scheduler tools (through an optional prefix) with a fixed environment, rejects with
 * {@link SchedulerCommandError} on failure, and counts each call by tool name in
 * {@link SchedulerCommands.counts}.
 */
export class SchedulerCommands {
  readonly #prefix: readonly string[];
  readonly #timeoutMs: number;
  readonly #env: Readonly<Record<string, string>>;
  readonly #counts: Record<string, number> = {};

  constructor(opts: SchedulerCommandsOptions = {}) {
    this.#prefix = opts.prefix ?? [];
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.#env = opts.env ?? toolEnvironment(process.env);
  }

  /** Calls made so far, by tool name (e.g. `{ sbatch: 200, squeue: 14 }`). */
  get counts(): Readonly<Record<string, number>> {
    return this.#counts;
  }

  /**
   * Runs `tool args...`; resolves with its output when it exits 0.
   *
   * @param opts.input - Text fed to its stdin (default: no stdin).
   * @throws {@link SchedulerCommandError} when it cannot be started, exits non-zero, or times out.
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
      throw new SchedulerCommandError(tool, args, result.exitCode, stderr || (result.exitCode === undefined ? (result.shortMessage ?? '') : ''), why, { cause: result.cause });
    }
    return { stdout: String(result.stdout), stderr };
  }
}
