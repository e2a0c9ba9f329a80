/**
 * {@link renderJobScript}: the bash batch script of one job, or of one array of jobs built from
 * the same spec, for any queueing scheduler. Pure: no I/O, no clock, no environment.
 *
 * What the job runs goes in the script, every value quoted with {@link shQuote}; what the
 * scheduler is asked for (resources, names, holds, dependencies) is the backend's business: on
 * the submit tool's argv, or as directive lines ({@link JobScriptOptions.directives}, e.g. `#$ -N x`)
 * right after the shebang. The script
 *
 * 1. picks the job's F58 id (arrays: its row of the job table, by the profile's array index
 *    variable: a `case` for small arrays, rows at the end of the script read with `mapfile` for
 *    big ones, see {@link assembleJobScript}) and, for arrays (or when asked), redirects its own
 *    stdin/stdout/stderr to the job's paths (arrays of different jobs: see `coalesced-script.ts`);
 * 2. writes the spec's files to `<logDir>/<f58>.d/` (substituted for `{{tmpdir}}`);
 * 3. enters the working directory (schedulers tend to fall back to `/tmp` or `$HOME` silently);
 * 4. lists the job's environment as quoted `'K=v'` words (plus `JOBFUTURES_JOB_ID`,
 *    `JOBFUTURES_JOB_SIZE`, `JOBFUTURES_TASK_RANK`, as the local backend sets them);
 * 5. runs the command under the profile's Perl reaper, directly for one task or through the
 *    {@link TaskLauncher} for several: it gives the command exactly the scheduler's variables plus
 *    that environment, creates `<logDir>/<f58>.status.started` once the command runs, and records
 *    the wait status in `<logDir>/<f58>.status` (several tasks: the largest). Without Perl on the
 *    node, bash clears its environment, runs the command through `env(1)` and records `$? << 8` (a
 *    death by signal N then reads as exit code 128+N).
 *
 * @module
 */
import { InvalidArgumentError } from '../../util/errors.js';
import { trimSlash } from './job-files.js';
import { shQuote, shTemplate } from './quote.js';
import type { SchedulerProfile } from './scheduler-profile.js';

/** A file the job needs in its `{{tmpdir}}` (a Jobspec `files` entry). */
export interface BatchScriptFile {
  /** Content, plain text or base64 as `encoding` says. */
  readonly data: string;
  /** `'utf-8'` (default) or `'base64'`. */
  readonly encoding?: string;
  /** Permission bits; default `0o600` (as the local backend). */
  readonly mode?: number;
}

/** What the job runs, everything already resolved by the backend. */
export interface JobScriptInput {
  /** F58 ids: one for a plain job; several for an array (the `i`-th task runs `ids[i]`). */
  readonly ids: readonly string[];
  /** The command and its arguments; with `files`, `{{tmpdir}}` is replaced by the job's files folder. */
  readonly command: readonly string[];
  /**
   * The job's environment, exactly. Names of the scheduler's own variables are skipped (except
   * the profile's `specMaySet`), and so are the `JOBFUTURES_*` variables the script sets itself.
   */
  readonly environment: Readonly<Record<string, string>>;
  /** Job name (`{{name}}` in paths). */
  readonly name: string;
  /** Absolute folder for status files and `{{tmpdir}}` folders; must be shared with the nodes. */
  readonly logDir: string;
  /** Absolute working directory of the job. */
  readonly cwd: string;
  /** Absolute stdout path template (`{{id}}`, `{{name}}` allowed). */
  readonly stdout: string;
  /** Absolute stderr path template; may equal `stdout` (one file). */
  readonly stderr: string;
  /** Absolute stdin path template, if stdin is redirected (else the scheduler's, mostly `/dev/null`). */
  readonly stdin?: string;
  /** Tasks; more than one runs them with {@link JobScriptOptions.launcher}. */
  readonly numTasks: number;
  /** Files written to the job's `{{tmpdir}}` folder before the command runs. */
  readonly files?: Readonly<Record<string, BatchScriptFile>>;
}

/** How several tasks of one job are started (Slurm: `srun`). */
export interface TaskLauncher {
  /** The program, looked up on the node's `PATH`, e.g. `srun`. */
  readonly program: string;
  /** Its arguments before the task's command, already bash words, e.g. `['--ntasks=4', '--']`. */
  readonly args: readonly string[];
}

/** Scheduler-specific parts of the script. */
export interface JobScriptOptions {
  /** Lines right after `#!/bin/bash`, e.g. Grid Engine's `#$ -N name`. Default none. */
  readonly directives?: readonly string[];
  /**
   * Whether the script opens the job's stdin/stdout/stderr itself (`exec >out 2>err <in`).
   * Default: for arrays only (each task has its own F58-named files; the scheduler's are not used).
   */
  readonly redirect?: boolean;
  /** Needed when `numTasks > 1`. */
  readonly launcher?: TaskLauncher;
  /**
   * Whether the scheduler runs the script from a file that bash sees as `$0` (Slurm, Grid
   * Engine), so that tasks of arrays bigger than {@link INLINE_TABLE_MAX} read their row from the
   * end of it. Default true; false keeps a `case` table whatever the array's size.
   */
  readonly runsFromFile?: boolean;
}

/** The marker comment every generated script starts with (after directives); see `script-parse-back.ts`. */
export const SCRIPT_MARKER = '# Batch script generated by jobfutures';

/** Variables the script sets for every job (a spec's own values for them are ignored). */
const SET_BY_BACKEND = new Set(['JOBFUTURES_JOB_ID', 'JOBFUTURES_JOB_SIZE', 'JOBFUTURES_TASK_RANK']);
const ID = '"$__jf_id"';
const TMP = '"$__jf_tmp"';
/** Signals bash must survive while it waits (the command gets them from the scheduler directly). */
const TRAPPED = 'HUP INT QUIT USR1 USR2 ALRM TERM';

/**
 * Renders the batch script of one job, or of an array (`ids.length > 1`), for the scheduler
 * described by `profile`.
 *
 * @throws RangeError when `ids` is empty.
 * @throws {@link InvalidArgumentError} when several tasks are asked for without a launcher, or a
 *   directive holds a line break.
 */
export function renderJobScript(input: JobScriptInput, profile: SchedulerProfile, options: JobScriptOptions = {}): string {
  const { ids } = input;
  if (ids.length === 0) throw new RangeError('renderJobScript: no job ids');
  const array = ids.length > 1;
  return assembleJobScript(input.logDir, ids.map((id) => ({ id })), profile, options, renderScriptBody(input, profile, options, array));
}

/** One row of a script's job table: the job's F58 id and, for a coalesced array, its body file's key. */
export interface JobTableRow {
  /** The job's F58 id. */
  readonly id: string;
  /** The F58 id naming the task body file it sources (`<logDir>/<body>.task`), if any. */
  readonly body?: string;
}

/**
 * Arrays up to this many tasks pick their job with a `case` table; bigger ones read their row
 * from the end of the script (`mapfile` on `$0`): bash parses a whole `case` before running it,
 * ~2 ms per task for 1,000 rows and ~20 ms for 10,000, while `mapfile` skips lines in C.
 */
export const INLINE_TABLE_MAX = 16;

/** Marks the rows of a script's job table at its end: `#@<index> <id>[ <body>]`. */
export const TABLE_ROW_PREFIX = '#@';

/**
 * A whole script: the head (shebang, directives, marker, the job's id: for arrays the row of the
 * array index in the job table, which may also name a task body file in `__jf_body`; the status
 * path and the "cannot start" function), then `rest` (which must end with `exit`), then, for big
 * arrays, the job table itself (never run: it comes after the `exit`).
 *
 * @throws RangeError when `table` is empty.
 * @throws {@link InvalidArgumentError} when a directive holds a line break.
 */
export function assembleJobScript(logDir: string, table: readonly JobTableRow[], profile: SchedulerProfile, options: JobScriptOptions, rest: string): string {
  if (table.length === 0) throw new RangeError('renderJobScript: no job ids');
  const array = table.length > 1;
  // Rows at the end hold raw ids (one word each); anything else stays in a case table.
  const atEnd = (options.runsFromFile ?? true) && table.length > INLINE_TABLE_MAX && table.every((r) => /^\S+$/.test(r.id) && (r.body === undefined || /^\S+$/.test(r.body)));
  const head = (skip: number) => {
    const L: string[] = [];
    L.push('#!/bin/bash');
    for (const d of options.directives ?? []) {
      if (/[\r\n]/.test(d)) throw new InvalidArgumentError('options.directives', `a directive must be one line (got ${JSON.stringify(d)})`);
      L.push(d);
    }
    L.push(`${SCRIPT_MARKER} for ${array ? `an array of ${table.length} jobs, ${table[0]!.id} .. ${table[table.length - 1]!.id}` : `job ${table[0]!.id}`}. Do not edit.`);
    L.push(`__jf_log=${shQuote(trimSlash(logDir))}`);
    const index = profile.arrayIndexVariable;
    const first = profile.firstArrayIndex;
    const noJob = (inScript: boolean) => `{ printf 'jobfutures: no job for array index %s${inScript ? ' in %s' : ''}\\n' "\${${index}-}"${inScript ? ' "$0"' : ''} >&2; exit 1; }`;
    if (!array) {
      L.push(`__jf_id=${shQuote(table[0]!.id)}`);
    } else if (!atEnd) {
      L.push(`case \${${index}-} in`);
      table.forEach((row, i) => L.push(`${i + first}) __jf_id=${shQuote(row.id)}${row.body === undefined ? '' : ` __jf_body=${shQuote(row.body)}`} ;;`));
      L.push(`*) ${noJob(false).slice(2, -3)} ;;`);
      L.push('esac');
    } else {
      L.push(`__jf_i=\${${index}-}`);
      L.push(`case $__jf_i in ''|*[!0-9]*) ${noJob(false)} ;; esac`);
      L.push(`[ "$__jf_i" -ge ${first} ] && [ "$__jf_i" -lt ${first + table.length} ] || ${noJob(false)}`);
      L.push(`mapfile -t -s $(( __jf_i - ${first} + ${skip} )) -n 1 __jf_row <"$0"`);
      L.push(`__jf_row=\${__jf_row[0]-}`);
      L.push(`[ "\${__jf_row%% *}" = "${TABLE_ROW_PREFIX}$__jf_i" ] || ${noJob(true)}`);
      L.push('__jf_row=${__jf_row#* } __jf_id=${__jf_row%% *}');
      L.push('[ "$__jf_row" = "$__jf_id" ] || __jf_body=${__jf_row#* }');
    }
    L.push('__jf_status="$__jf_log/$__jf_id.status"');
    L.push('__jf_path=$PATH');
    // Records "could not start" like the reaper does, then exits 127.
    L.push(
      `__jf_fail() { printf '%s\\nexec %s\\n' 32512 "$1" >"$__jf_status.tmp.$$" && PATH=$__jf_path mv -f -- "$__jf_status.tmp.$$" "$__jf_status"; printf 'jobfutures: cannot start %s\\n' "$1" >&2; exit 127; }`,
    );
    // The same for every job: here once, not in each body (task files would repeat its ~3 KB).
    L.push(`__jf_reaper=${shQuote(profile.reaper)}`);
    return L;
  };
  if (!atEnd) return head(0).join('\n') + '\n' + rest;
  // mapfile -s skips the lines before the table's first row: the head's, rest's, and the table's comment.
  const skip = countLines(head(0).join('\n') + '\n') + countLines(rest) + 1;
  const rows = table.map((r, i) => `${TABLE_ROW_PREFIX}${i + profile.firstArrayIndex} ${r.id}${r.body === undefined ? '' : ` ${r.body}`}`);
  return [...head(skip), rest.replace(/\n$/, ''), '# The job table: one row per array index, read by the lookup at the top. Do not edit.', ...rows].join('\n') + '\n';
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return text.endsWith('\n') || text === '' ? n : n + 1;
}

/**
 * The rest of the script: what one job runs (redirects, restart clean-up, files, cwd, environment,
 * the reaper, whose source `$__jf_reaper` the head sets). It names its job only through `$__jf_id`,
 * so jobs whose specs render the same body share it. Ends with `exit`.
 *
 * @param array - Whether the job is an array task (then it opens its own stdin/stdout/stderr
 *   unless `options.redirect` says otherwise).
 * @throws {@link InvalidArgumentError} when several tasks are asked for without a launcher.
 */
export function renderScriptBody(input: Omit<JobScriptInput, 'ids'>, profile: SchedulerProfile, options: JobScriptOptions, array: boolean): string {
  const { name } = input;
  const multi = input.numTasks > 1;
  const launcher = options.launcher;
  if (multi && launcher === undefined) throw new InvalidArgumentError('options.launcher', `needed to run ${input.numTasks} tasks`);
  const L: string[] = [];
  if (options.redirect ?? array) {
    const vars = { id: ID, name: shQuote(name) };
    const out = shTemplate(input.stdout, vars);
    const err = input.stderr === input.stdout ? '&1' : shTemplate(input.stderr, vars);
    const inn = input.stdin === undefined ? '' : ` <${shTemplate(input.stdin, vars)}`;
    L.push(`exec >${out} 2>${err}${inn} || __jf_fail "cannot open the job's stdin, stdout or stderr"`);
  }
  // A requeued job starts over: drop the previous run's status.
  if (profile.restartVariable !== undefined) {
    L.push(`[ "\${${profile.restartVariable}:-0}" != 0 ] && rm -f -- "$__jf_status" "$__jf_status".started "$__jf_status".task.* 2>/dev/null`);
  }
  const files = input.files === undefined ? [] : Object.entries(input.files);
  if (files.length > 0) {
    L.push('__jf_tmp="$__jf_log/$__jf_id.d"');
    L.push(`mkdir -p -- ${TMP} || __jf_fail "cannot create $__jf_tmp"`);
    for (const [fname, file] of files) {
      const dest = `${TMP}/${shQuote(fname)}`;
      const mode = (file.mode ?? 0o600).toString(8);
      L.push(`printf -- ${shQuote(printfFormat(file))} >${dest} && chmod ${mode} ${dest} || __jf_fail "cannot write $__jf_tmp/"${shQuote(fname)}`);
    }
  }
  L.push(`cd -- ${shQuote(input.cwd)} 2>/dev/null || __jf_fail ${shQuote(`cwd ${input.cwd}: no such directory`)}`);
  L.push('hash perl 2>/dev/null && __jf_perl=${BASH_CMDS[perl]}');
  if (multi) L.push(`hash ${shQuote(launcher!.program)} 2>/dev/null && __jf_launcher=\${BASH_CMDS[${shQuote(launcher!.program)}]}`);
  // The job's environment, exactly: NAME=VALUE words handed to the reaper (or to env(1)), which
  // keep the scheduler's variables and drop everything else.
  L.push('__jf_env=(');
  for (const [k, v] of Object.entries(input.environment)) {
    if ((!profile.variables.matches(k) || profile.specMaySet.has(k)) && !SET_BY_BACKEND.has(k)) L.push(`  ${shQuote(`${k}=${v}`)}`);
  }
  L.push(`  JOBFUTURES_JOB_ID="$__jf_id" JOBFUTURES_JOB_SIZE=${input.numTasks} JOBFUTURES_TASK_RANK=0`);
  L.push(')');
  // As the local backend: {{tmpdir}} is substituted when the spec has files.
  const words = (prefix: string) => input.command.map((a) => (files.length > 0 ? shTemplate(prefix + a, { tmpdir: TMP }) : shQuote(prefix + a))).join(' ');
  const argv = words('');
  const reaper = (flags: string) => `"$__jf_perl" -e "$__jf_reaper" -- "$__jf_status" ${flags} \${#__jf_env[@]} "\${__jf_env[@]}" ${argv}`;
  // Through a launcher every word gets a '+' the reaper drops: srun splits its command line at a lone ':'.
  const reaperViaLauncher = `"$__jf_perl" -e "$__jf_reaper" -- "+$__jf_status" +t "+\${#__jf_env[@]}" "\${__jf_env[@]/#/+}" ${words('+')}`;
  // Without Perl: clear the environment in bash and run the command through env(1).
  const clear = `for __jf_v in $(compgen -e); do case $__jf_v in ${profile.variables.bashPattern}) ;; *) unset -v "$__jf_v" 2>/dev/null ;; esac; done`;
  const viaEnv = `env -u _ "\${__jf_env[@]}" ${argv}`;
  if (!multi) {
    L.push(`[ -n "\${__jf_perl-}" ] && exec ${reaper("''")}`);
    L.push(clear);
    L.push(`trap : ${TRAPPED}`);
    L.push(': >"$__jf_status.started"');
    L.push(`PATH=$__jf_path ${viaEnv}`);
    L.push('__jf_ws=$(( ($? & 255) << 8 ))');
  } else {
    const launch = ['"$__jf_launcher"', ...launcher!.args].join(' ');
    L.push(`[ -n "\${__jf_launcher-}" ] || __jf_fail ${shQuote(`${launcher!.program}: command not found`)}`);
    L.push(`trap : ${TRAPPED}`);
    L.push('if [ -n "${__jf_perl-}" ]; then');
    L.push(`  ${launch} ${reaperViaLauncher}`);
    L.push('else');
    L.push('  : >"$__jf_status.started"');
    L.push(`  ${clear}`);
    L.push(`  ${launch} "$(PATH=$__jf_path type -P env)" -u _ "\${__jf_env[@]}" ${argv}`);
    L.push('fi');
    L.push('__jf_rc=$? __jf_ws=-1 __jf_n=0');
    L.push('for __jf_f in "$__jf_status".task.*; do');
    L.push('  [ -e "$__jf_f" ] && read -r __jf_v <"$__jf_f" || continue');
    L.push('  case $__jf_v in ""|*[!0-9]*) continue ;; esac');
    L.push('  __jf_n=$((__jf_n + 1)); [ "$__jf_v" -gt "$__jf_ws" ] && __jf_ws=$__jf_v');
    L.push('done');
    // Tasks without a status file (killed hard): count the launcher's own exit code.
    L.push(`[ "$__jf_n" -lt ${input.numTasks} ] && [ $(( (__jf_rc & 255) << 8 )) -gt "$__jf_ws" ] && __jf_ws=$(( (__jf_rc & 255) << 8 ))`);
  }
  L.push(`printf '%s\\n' "$__jf_ws" >"$__jf_status.tmp.$$" && PATH=$__jf_path mv -f -- "$__jf_status.tmp.$$" "$__jf_status"`);
  L.push('exit $(( __jf_ws & 127 ? 128 + (__jf_ws & 127) : __jf_ws >> 8 ))');
  return L.join('\n') + '\n';
}

/**
 * A bash `printf` format that prints the file's bytes exactly: `%` and `\` doubled, control
 * characters (except newline and tab) and, for binary data, bytes >= 0x80 as `\ooo` escapes.
 */
export function printfFormat(file: BatchScriptFile): string {
  if (file.encoding === 'base64') {
    const bytes = Buffer.from(file.data, 'base64');
    let out = '';
    for (const b of bytes) {
      if (b === 0x25) out += '%%';
      else if (b === 0x5c) out += '\\\\';
      else if ((b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x09) out += String.fromCharCode(b);
      else out += `\\${b.toString(8).padStart(3, '0')}`;
    }
    return out;
  }
  // eslint-disable-next-line no-control-regex
  return file.data.replace(/[%\\\x00-\x08\x0b-\x1f\x7f]/g, (c) => {
    if (c === '%') return '%%';
    if (c === '\\') return '\\\\';
    return `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`;
  });
}
