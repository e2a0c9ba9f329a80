/**
 * A small, strict command-line parser for `jobf`: global options, one subcommand, its options,
 * its operands, and `--`.
 *
 * - Options are long (`--name N` or `--name=N`); some also have a short form (`-n N` or `-nN`),
 *   mostly gridtk's `jman` letters (`-t` for `--array`, `-j` for `--job-ids`), and some an alias
 *   (`--dependencies` for `--after`). Short flags are not bundled (`-ab` is not `-a -b`).
 * - Global options (`--db`, `--backend`, `--json`) may come before or after the subcommand.
 * - `jobf help [COMMAND]` is `jobf [COMMAND] --help`.
 * - Commands that take job ids also take them as `-j ID` / `--job-ids ID` (as `jman -j`), added to
 *   the operands.
 * - An option that takes a value takes the next argument, whatever it looks like.
 * - Options marked `repeat` may be given several times (`--env A=1 --env B=2`); others only once.
 * - `--` ends the options. For `submit`, the first operand also ends them: everything from the
 *   command on belongs to the command.
 * - Anything unknown is a {@link UsageError}, raised before any work is done.
 */
import { BACKEND_NAMES, DEFAULT_BACKEND, type BackendName } from '../../backends/registry.js';
import { JobfuturesError } from '../../util/errors.js';

/** The command line is wrong. `jobf` prints the message on one line and exits with code 2. */
export class UsageError extends JobfuturesError {
  /** @param message - What is wrong, e.g. `unknown option --foo for "jobf list"`. */
  constructor(message: string) {
    super('ERR_USAGE', message);
  }
}

/** One option of a command. */
export interface OptionSpec {
  /** Long name without dashes, e.g. `log-dir`. */
  readonly name: string;
  /** One-letter short form without the dash, e.g. `l`. */
  readonly short?: string;
  /** Other long names (without dashes) for the same option, e.g. `dependencies` for `after`. */
  readonly aliases?: readonly string[];
  /** Placeholder of the value (e.g. `DIR`); absent for a flag, which takes no value. */
  readonly value?: string;
  /** May be given more than once; the values accumulate. Default false. */
  readonly repeat?: boolean;
  /** One line of help. */
  readonly help: string;
}

/**
 * What a command takes after its options: `none`; `ids` (any number of job ids); `id` (exactly
 * one); `command` (a command line, at least one word); `dir` (exactly one folder).
 */
export type OperandKind = 'none' | 'ids' | 'id' | 'command' | 'dir';

/** `-j ID` / `--job-ids ID`: job ids given as an option (gridtk's `jman -j`), for commands that take ids. */
export const JOB_IDS_OPTION: OptionSpec = {
  name: 'job-ids',
  short: 'j',
  value: 'ID',
  repeat: true,
  help: 'a job id (as an operand; as jman -j)',
};

/** One subcommand. */
export interface CommandSpec {
  /** Its name, e.g. `submit`. */
  readonly name: string;
  /** One line, for `jobf --help`. */
  readonly summary: string;
  /** The operands part of the synopsis, e.g. `[ID...]`. */
  readonly synopsis: string;
  /** Its own options (the global ones are added by the parser). */
  readonly options: readonly OptionSpec[];
  /** What follows the options. */
  readonly operands: OperandKind;
}

/** Options every command accepts. */
export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  { name: 'db', value: 'PATH', help: 'job store (default $JOBF_DB, else ./jobs.db)' },
  { name: 'backend', value: BACKEND_NAMES.join('|'), help: `backend of new jobs (default ${DEFAULT_BACKEND})` },
  { name: 'json', help: 'print JSON instead of text (errors too: {"error": {"code", "message"}} on stderr)' },
  { name: 'version', short: 'V', help: 'print the version and exit' },
  { name: 'help', short: 'h', help: 'show help and exit' },
];

/** The backends `--backend` accepts: the registry's. */
export const BACKENDS: readonly BackendName[] = BACKEND_NAMES;
export type { BackendName };

/** The result of {@link parseArgs}. */
export class ParsedArgs {
  /** The subcommand, or undefined when none was given. */
  readonly command: CommandSpec | undefined;
  /** The operands (job ids, or the command line of `submit`). */
  readonly operands: readonly string[];
  readonly #values: ReadonlyMap<string, readonly string[]>;

  /** @internal Built by {@link parseArgs}. */
  constructor(command: CommandSpec | undefined, values: ReadonlyMap<string, readonly string[]>, operands: readonly string[]) {
    this.command = command;
    this.#values = values;
    this.operands = operands;
  }

  /** Whether a flag (or any option) was given. */
  flag(name: string): boolean {
    return this.#values.has(name);
  }

  /** The value of a single-valued option, or undefined. */
  value(name: string): string | undefined {
    return this.#values.get(name)?.[0];
  }

  /** All values of a repeatable option, in order; comma-separated lists are not split here. */
  values(name: string): readonly string[] {
    return this.#values.get(name) ?? [];
  }

  /** `--db`, if given. */
  get db(): string | undefined {
    return this.value('db');
  }

  /** `--backend`, if given. */
  get backend(): BackendName | undefined {
    return this.value('backend') as BackendName | undefined;
  }

  /** `--json`. */
  get json(): boolean {
    return this.flag('json');
  }

  /** `--help`, `-h` or `jobf help`. */
  get help(): boolean {
    return this.flag('help');
  }

  /** `--version` or `-V`. */
  get version(): boolean {
    return this.flag('version');
  }
}

/** The options a command accepts, its own first, then `--job-ids` where it takes ids, then the global ones. */
export function optionsOf(spec: CommandSpec | undefined): readonly OptionSpec[] {
  const ids = spec?.operands === 'ids' || spec?.operands === 'id' ? [JOB_IDS_OPTION] : [];
  return [...(spec?.options ?? []), ...ids, ...GLOBAL_OPTIONS];
}

function findOption(name: string, spec: CommandSpec | undefined): OptionSpec | undefined {
  return optionsOf(spec).find((o) => o.name === name || o.aliases?.includes(name));
}

function findShort(letter: string, spec: CommandSpec | undefined): OptionSpec | undefined {
  return optionsOf(spec).find((o) => o.short === letter);
}

/**
 * Parses `argv` (without `node` and the script).
 *
 * @param argv - The arguments.
 * @param commands - The known subcommands.
 * @throws {@link UsageError} for an unknown command or option, a missing or unexpected value, an
 *   option given twice, or operands the command does not take.
 */
export function parseArgs(argv: readonly string[], commands: readonly CommandSpec[]): ParsedArgs {
  let command: CommandSpec | undefined;
  const values = new Map<string, string[]>();
  const operands: string[] = [];
  const where = (): string => (command ? ` for "jobf ${command.name}"` : '');

  let helpTopic = false;
  const record = (opt: OptionSpec, typed: string, value: string): void => {
    const prev = values.get(opt.name);
    if (prev === undefined) values.set(opt.name, [value]);
    else if (opt.repeat) prev.push(value);
    else if (opt.value === undefined) return; // a flag given twice is harmless
    else throw new UsageError(`option ${typed} given more than once`);
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      if (command === undefined) throw new UsageError('"--" before any command (see jobf --help)');
      operands.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--') && arg.length > 2) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const opt = findOption(name, command);
      if (opt === undefined) throw new UsageError(`unknown option --${name}${where()}`);
      let value = '';
      if (opt.value !== undefined) {
        if (eq >= 0) value = arg.slice(eq + 1);
        else if (i + 1 < argv.length) value = argv[++i]!;
        else throw new UsageError(`option --${name} needs a value (${opt.value})`);
      } else if (eq >= 0) {
        throw new UsageError(`option --${name} takes no value`);
      }
      record(opt, `--${name}`, value);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      const opt = findShort(arg[1]!, command);
      if (opt === undefined || (opt.value === undefined && arg.length > 2)) throw new UsageError(`unknown option ${arg}${where()}`);
      let value = '';
      if (opt.value !== undefined) {
        if (arg.length > 2) value = arg.slice(2);
        else if (i + 1 < argv.length) value = argv[++i]!;
        else throw new UsageError(`option ${arg} (--${opt.name}) needs a value (${opt.value})`);
      }
      record(opt, `${arg.slice(0, 2)} (--${opt.name})`, value);
      continue;
    }
    if (command === undefined && arg === 'help' && !helpTopic) {
      // `jobf help [COMMAND]`
      helpTopic = true;
      values.set('help', ['']);
      continue;
    }
    if (command === undefined) {
      command = commands.find((c) => c.name === arg);
      if (command === undefined) throw new UsageError(`unknown command "${arg}" (see jobf --help)`);
      continue;
    }
    if (helpTopic) throw new UsageError(`"jobf help" takes one command name, got "${arg}" too`);
    if (command.operands === 'command') {
      operands.push(...argv.slice(i));
      break;
    }
    operands.push(arg);
  }
  // `-j ID` adds to the operands (before them: as typed first).
  if (values.has(JOB_IDS_OPTION.name)) operands.unshift(...values.get(JOB_IDS_OPTION.name)!);

  const parsed = new ParsedArgs(command, values, operands);
  const backend = parsed.value('backend');
  if (backend !== undefined && !(BACKENDS as readonly string[]).includes(backend)) {
    throw new UsageError(`--backend must be ${BACKENDS.join(' or ')}, got "${backend}"`);
  }
  if (parsed.db === '') throw new UsageError('--db needs a file path');
  if (command && !parsed.help) checkOperands(command, operands);
  return parsed;
}

function checkOperands(command: CommandSpec, operands: readonly string[]): void {
  const usage = `usage: jobf ${command.name} [OPTIONS] ${command.synopsis}`.trimEnd();
  switch (command.operands) {
    case 'none':
      if (operands.length > 0) throw new UsageError(`"jobf ${command.name}" takes no arguments, got "${operands[0]}"`);
      break;
    case 'id':
      if (operands.length !== 1) {
        throw new UsageError(`"jobf ${command.name}" takes exactly one job id, got ${operands.length} (${usage})`);
      }
      break;
    case 'command':
      if (operands.length === 0) throw new UsageError(`"jobf ${command.name}" needs a command (${usage})`);
      break;
    case 'dir':
      if (operands.length !== 1) throw new UsageError(`"jobf ${command.name}" takes exactly one folder, got ${operands.length} (${usage})`);
      break;
    case 'ids':
      break;
  }
}

/**
 * Parses a positive integer option value.
 *
 * @param option - The option's name with dashes, for the message.
 * @param text - The value.
 * @throws {@link UsageError} unless `text` is a decimal integer >= 1 (and a safe integer).
 */
export function positiveInt(option: string, text: string): number {
  const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${option} needs a positive integer, got "${text}"`);
  return n;
}

/** Splits the values of a repeatable option on commas: `--after a,b --after c` → `[a, b, c]`. */
export function commaList(option: string, values: readonly string[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    for (const item of v.split(',')) {
      const t = item.trim();
      if (t === '') throw new UsageError(`${option} has an empty item in "${v}"`);
      out.push(t);
    }
  }
  return out;
}

/** The help text of one command, or of `jobf` itself. */
export function helpText(commands: readonly CommandSpec[], command?: CommandSpec): string {
  const optionLines = (opts: readonly OptionSpec[]): string[] => {
    const left = opts.map(
      (o) =>
        `  ${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.value ? ` ${o.value}` : ''}${o.repeat ? ' ...' : ''}` +
        (o.aliases ?? []).map((a) => `, --${a}`).join(''),
    );
    const width = Math.max(...left.map((l) => l.length)) + 2;
    return opts.map((o, i) => left[i]!.padEnd(width) + o.help);
  };
  if (command === undefined) {
    const width = Math.max(...commands.map((c) => c.name.length)) + 2;
    return [
      `usage: jobf [--db PATH] [--backend ${BACKEND_NAMES.join('|')}] [--json] COMMAND [OPTIONS] [ARGS]`,
      '',
      'Keeps batch jobs in a local job store and drives them from the shell.',
      '',
      'Commands:',
      ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
      '',
      'Global options:',
      ...optionLines(GLOBAL_OPTIONS),
      '',
      'Run "jobf help COMMAND" (or "jobf COMMAND --help") for the options of a command.',
      '',
    ].join('\n');
  }
  return [
    `usage: jobf ${command.name}${command.options.length > 0 ? ' [OPTIONS]' : ''} ${command.synopsis}`.trimEnd(),
    '',
    command.summary,
    '',
    ...(optionsOf(command).length > GLOBAL_OPTIONS.length
      ? ['Options:', ...optionLines(optionsOf(command).slice(0, -GLOBAL_OPTIONS.length)), '']
      : []),
    'Global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
  ].join('\n');
}
