/**
 * `jobf` as a function: parses the arguments, runs the command, and turns errors into one line on
 * stderr and an exit code. The bin (main.ts) is a thin wrapper around {@link runCli}.
 *
 * Exit codes: 0 success; 1 the command's own failure (e.g. `jobf wait` saw a failed job) or an
 * unexpected error; 2 a usage error, an unknown or malformed job id, a bad range, a file that is
 * not a job store. On exit code 2 nothing was written.
 */
import { DEFAULT_BACKEND } from '../backends/registry.js';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { packageRoot } from '../backends/local/package-root.js';
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
    // https://no-color.org: set and not empty disables colour.
    color: stdout.isTTY === true && !env['NO_COLOR'] && env['TERM'] !== 'dumb',
  };
  let json = jsonRequested(argv);
  try {
    const args = parseArgs(argv, COMMANDS.map((c) => c.spec));
    json = args.json;
    const command = COMMANDS.find((c) => c.spec === args.command);
    if (args.help) {
      io.out(helpText(COMMANDS.map((c) => c.spec), args.command));
      return 0;
    }
    if (args.version) {
      io.out(json ? JSON.stringify({ version: packageVersion() }) + '\n' : `jobf ${packageVersion()}\n`);
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
    const report = (code: string, message: string): void =>
      io.err(json ? JSON.stringify({ error: { code, message: oneLine(message) } }) + '\n' : `jobf: ${oneLine(message)}\n`);
    if (err instanceof JobfuturesError) {
      report(err.code, err.message);
      return 2;
    }
    const e = err as Error;
    report('ERR_INTERNAL', `internal error: ${e?.message ?? String(err)}`);
    if (env['JOBF_DEBUG']) io.err(`${e?.stack ?? ''}\n`);
    return 1;
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

/**
 * Whether `--json` was asked for, for errors of a command line that does not parse: given before
 * `--` and before the command of `jobf submit` could start (a rough look: the parser has the last word).
 */
function jsonRequested(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

/** The version in the package's `package.json`. */
function packageVersion(): string {
  const { version } = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown };
  return typeof version === 'string' ? version : 'unknown';
}
