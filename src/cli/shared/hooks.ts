/**
 * The `jobf` commands that need the executor, as a table of functions. The CLI parses and checks
 * their arguments itself, then calls the function here. Tests may replace some of them
 * (`runCli(argv, { hooks })`); the others stay {@link defaultHooks}.
 */
import type { JobID } from '../../ids/index.js';
import type { JobStore } from '../../store/index.js';
import type { CommandContext } from './context.js';

/** Arguments of {@link CliHooks.execute}. */
export interface ExecuteArgs {
  /** `--parallel N`: how many jobs may run at once (>= 1; default: the number of CPUs). */
  readonly parallel: number;
  /** Job id operands: run only these (and nothing else); empty: every queued local job. */
  readonly ids: readonly JobID[];
}

/** Arguments of {@link CliHooks.wait} and {@link CliHooks.stop}. */
export interface JobsArgs {
  /** Job id operands, each known to be in the store; empty: every active job. */
  readonly ids: readonly JobID[];
  /**
   * `stop` only: print the ids of the jobs it stopped (one a line; a JSON array with `--json`),
   * as `jobf stop` does. Default false (`jobf delete` prints what it deleted itself).
   */
  readonly print?: boolean;
}

/** Arguments of {@link CliHooks.submitNow}. */
export interface SubmitNowArgs {
  /** The store, open read-write. The hook must not close it. */
  readonly store: JobStore;
  /** The backend, one whose plug-in `submitsAtOnce`. */
  readonly backend: string;
  /**
   * The jobs just inserted (state NEW, no owner), in order; the tasks of an array are
   * consecutive and share `arrayId`. For `jobf resubmit`, requeued jobs (a new attempt).
   */
  readonly ids: readonly JobID[];
}

/** The functions the executor provides to the CLI. Each resolves to the command's exit code unless noted. */
export interface CliHooks {
  /**
   * `jobf execute [--parallel N] [ID...]`: runs the queued local jobs (dependencies and urgency
   * honoured), shows progress (a bar on a TTY, `ctx.io.isTTY`; plain lines otherwise), prints a
   * summary, and on `ctx.signal` abort ends the running jobs and puts them back in the queue.
   * Should resolve to 0 when every job it ran completed, 1 otherwise.
   */
  execute(ctx: CommandContext, args: ExecuteArgs): Promise<number>;
  /** `jobf wait [ID...]`: waits until the jobs are INACTIVE; 0 if all COMPLETED, 1 otherwise. */
  wait(ctx: CommandContext, args: JobsArgs): Promise<number>;
  /**
   * `jobf stop [ID...]`: cancels the jobs (local or Slurm) and resolves once each is INACTIVE in the
   * store; with `args.print`, prints what it stopped. Also used by `jobf delete` for jobs that may be running.
   */
  stop(ctx: CommandContext, args: JobsArgs): Promise<number>;
  /**
   * `jobf --backend B submit ...` and `jobf resubmit` of B's jobs, for a backend B that submits at
   * once (a scheduler): hands jobs already in the store to it now, recording their native ids and
   * events. Resolves when they are submitted; rejects with a `JobfuturesError` (printed as one
   * line, exit 2) if the backend refused them, after recording that on the jobs.
   */
  submitNow(ctx: CommandContext, args: SubmitNowArgs): Promise<void>;
}

/**
 * The hooks `jobf` runs with. Each loads its implementation on first use: the executor (and the
 * jobspec schema it compiles) would cost every other command start-up time for nothing.
 */
export const defaultHooks: CliHooks = {
  execute: async (ctx, args) => (await import('../commands/execute.js')).execute(ctx, args),
  wait: async (ctx, args) => (await import('../commands/wait.js')).wait(ctx, args),
  stop: async (ctx, args) => (await import('../commands/stop.js')).stop(ctx, args),
  submitNow: async (ctx, args) => (await import('../commands/submit-now.js')).submitNow(ctx, args),
};
