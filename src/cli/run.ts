/**
 * `jobf` as a function: parses the arguments, runs the command, and turns errors into one line on
 * stderr and an exit code. The bin (main.ts) is a thin wrapper around {@link runCli}.
 *
 * Exit codes: 0 success; 1 the command's own failure (e.g. `jobf wait` saw a failed job) or an
 * unexpected error; 2 a usage error, an unknown or malformed job id, a bad range, a file that is
 * not a job store. On exit code 2 nothing was written.
 */
import { DEFAULT_BACKEND } from '../backends/registry.js';
import { resolve } from 'node:path';

import { JobfuturesError } from '../util/errors.js';
import { UsageError, helpText, parseArgs } from './shared/args.js';
import { COMMANDS } from './commands/index.js';
import { openStoreAt, type CliIO, type CommandContext } from './shared/context.js';
import { defaultHooks, type CliHooks } from './shared/hooks.js';

/** Options of {@link runCli}; every one defaults to the real process's. */
export interface RunCliOptions {
  /** Environment (`JOBF_DB`, and the base environment of submitted jobs). Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Working directory. Default `process.cwd()`. */
  readonly cwd?: string;
  /** Standard output. Default `process.stdout`. */
  readonly stdout?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Standard error. Default `process.stderr`. */
  readonly stderr?: NodeJS.WritableStream;
  /** The executor's functions. Default {@link defaultHooks}. */
  readonly hooks?: Partial<CliHooks>;
  /** Aborts long-running commands (the bin aborts it on SIGINT/SIGTERM). Default: never. */
  readonly signal?: AbortSignal;
}

/** The default job store path, relative to the working directory. */
export const DEFAULT_DB = 'jobs.db';

/**
 * Runs `jobf` with `argv` (the arguments after the program name).
 *
 * @returns The exit code. Never throws for a command's failure: it is printed on `stderr`.
 */
export async function runCli(argv: readonly string[], opts: RunCliOptions = {}): Promise<number> {
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const io: CliIO = {
    out: (text) => void stdout.write(text),
    err: (text) => void stderr.write(text),
    stdout,
    isTTY: stdout.isTTY === true,
    columns: stdout.isTTY === true ? stdout.columns : undefined,
  };
  try {
    const args = parseArgs(argv, COMMANDS.map((c) => c.spec));
    const command = COMMANDS.find((c) => c.spec === args.command);
    if (args.help) {
      io.out(helpText(COMMANDS.map((c) => c.spec), args.command));
      return 0;
    }
    if (command === undefined) {
      throw new UsageError('no command given (see jobf --help)');
    }
    const dbPath = resolve(cwd, args.db ?? (env['JOBF_DB'] || DEFAULT_DB));
    const ctx: CommandContext = {
      dbPath,
      backend: args.backend ?? DEFAULT_BACKEND,
      json: args.json,
      env,
      cwd,
      io,
      hooks: { ...defaultHooks, ...opts.hooks },
      signal: opts.signal ?? new AbortController().signal,
      openStore: (mode) => openStoreAt(dbPath, mode),
    };
    return await command.run(ctx, args);
  } catch (err) {
    if (err instanceof JobfuturesError) {
      io.err(`jobf: ${oneLine(err.message)}\n`);
      return 2;
    }
    const e = err as Error;
    io.err(`jobf: internal error: ${oneLine(e?.message ?? String(err))}\n`);
    if (env['JOBF_DEBUG']) io.err(`${e?.stack ?? ''}\n`);
    return 1;
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}
