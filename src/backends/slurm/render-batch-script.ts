/**
 * {@link renderBatchScript}: the sbatch arguments and the bash batch script of one job or of one
 * array of jobs built from the same spec. Pure: no I/O, no clock, no environment.
 *
 * Resources, names, paths, dependencies and holds go on sbatch's argv (passed without a shell,
 * so nothing needs quoting there); what the job runs goes in the script, every value quoted with
 * {@link shQuote}. The script
 *
 * 1. picks the job's F58 id (arrays: a `case "$SLURM_ARRAY_TASK_ID"` table) and, for arrays,
 *    redirects its own stdin/stdout/stderr to the job's paths;
 * 2. writes the spec's files to `<logDir>/<f58>.d/` (substituted for `{{tmpdir}}`);
 * 3. enters the working directory (Slurm silently falls back to /tmp when `--chdir` fails);
 * 4. lists the job's environment as quoted `'K=v'` words (plus `JOBFUTURES_JOB_ID`,
 *    `JOBFUTURES_JOB_SIZE`, `JOBFUTURES_TASK_RANK`, as the local backend sets them);
 * 5. runs the command under the Perl reaper ({@link REAPER_SOURCE}), directly for one task or
 *    through `srun` for several: it gives the command exactly Slurm's `SLURM*` variables plus
 *    that environment, creates `<logDir>/<f58>.status.started` once the command runs, and
 *    records the wait status in `<logDir>/<f58>.status` (several tasks: the largest). Without Perl on the node, bash clears its environment, runs the command
 *    through `env(1)` and records `$? << 8` (a death by signal N then reads as exit code 128+N).
 *
 * @module
 */
import { DEPENDENCY_KINDS } from '../../core/lifecycle.js';
import type { DependencyKind } from '../../core/types.js';
import { REAPER_SOURCE } from './reaper.js';
import { shQuote, shTemplate, slurmFilenameLiteral } from './quote.js';

/** A file the job needs in its `{{tmpdir}}` (a Jobspec `files` entry). */
export interface BatchScriptFile {
  /** Content, plain text or base64 as `encoding` says. */
  readonly data: string;
  /** `'utf-8'` (default) or `'base64'`. */
  readonly encoding?: string;
  /** Permission bits; default `0o600` (as the local backend). */
  readonly mode?: number;
}

/** What {@link renderBatchScript} needs: everything already resolved by the backend. */
export interface BatchScriptInput {
  /** F58 ids: one for a plain job; several for an array (array index `i` runs `ids[i]`). */
  readonly ids: readonly string[];
  /** The command and its arguments; with `files`, `{{tmpdir}}` is replaced by the job's files folder. */
  readonly command: readonly string[];
  /**
   * The job's environment, exactly. Names starting with `SLURM` are skipped: Slurm sets those
   * for the job (a stale `SLURM_JOB_ID` from an enclosing allocation would misdirect `srun`),
   * except `SLURM_ARRAY_TASK_ID`, which old scripts read from one-job-per-index fan-outs
   * (`jobf submit --array`). So are the `JOBFUTURES_*` variables the backend sets itself.
   */
  readonly environment: Readonly<Record<string, string>>;
  /** Job name (`{{name}}` in paths, `--job-name`). */
  readonly name: string;
  /** Absolute folder for status files and `{{tmpdir}}` folders; must be shared with the nodes. */
  readonly logDir: string;
  /** Absolute working directory of the job. */
  readonly cwd: string;
  /** Absolute stdout path template (`{{id}}`, `{{name}}` allowed). */
  readonly stdout: string;
  /** Absolute stderr path template; may equal `stdout` (one file). */
  readonly stderr: string;
  /** Absolute stdin path template, if stdin is redirected (else `/dev/null`). */
  readonly stdin?: string;
  /** Tasks (`--ntasks`); more than one runs them with `srun`. */
  readonly numTasks: number;
  /** `--cpus-per-task`. */
  readonly coresPerTask: number;
  /** `--gpus-per-task` when > 0. */
  readonly gpusPerTask: number;
  /** `--nodes`, if set. */
  readonly numNodes?: number;
  /** `--exclusive`. */
  readonly exclusive: boolean;
  /** Time limit in seconds; 0 = none. Becomes `--time` in whole minutes, rounded up. */
  readonly duration: number;
  /** `--partition`. */
  readonly partition?: string;
  /** `--account`. */
  readonly account?: string;
  /** Submit held (`--hold`, urgency 0). */
  readonly hold: boolean;
  /**
   * Slurm job ids this job runs after: `afterok` ones if they complete, `afterany` ones whatever
   * their end (`--dependency=afterok:a:b,afterany:c`; a comma means both).
   */
  readonly dependencies: Readonly<Partial<Record<DependencyKind, readonly string[]>>>;
  /** Arrays: at most this many tasks at once (`--array=...%N`). */
  readonly arrayThrottle?: number;
  /** Files written to the job's `{{tmpdir}}` folder before the command runs. */
  readonly files?: Readonly<Record<string, BatchScriptFile>>;
}

/** The output of {@link renderBatchScript}. */
export interface RenderedBatchScript {
  /** sbatch options, without the script path (e.g. `['--parsable', '--job-name=x', ...]`). */
  readonly sbatchArgs: string[];
  /** The batch script's text. */
  readonly script: string;
}

/**
 * Slurm `--time` value for a duration in seconds: whole minutes rounded up (Slurm's resolution),
 * or `undefined` for 0 (unlimited).
 *
 * @example durationToTimeLimit(90) === '2'; durationToTimeLimit(0) === undefined
 */
export function durationToTimeLimit(seconds: number): string | undefined {
  if (!(seconds > 0)) return undefined;
  if (!Number.isFinite(seconds)) return undefined;
  return String(Math.ceil(seconds / 60));
}

/** Status file of a job: `<logDir>/<f58>.status`. */
export function statusPath(logDir: string, f58: string): string {
  return `${trimSlash(logDir)}/${f58}.status`;
}

/** Marker the script creates once the job's command runs: `<logDir>/<f58>.started`. */
export function startedPath(logDir: string, f58: string): string {
  return `${statusPath(logDir, f58)}.started`;
}

/** Files folder of a job, substituted for `{{tmpdir}}`: `<logDir>/<f58>.d` (as the local backend). */
export function tmpdirPath(logDir: string, f58: string): string {
  return `${trimSlash(logDir)}/${f58}.d`;
}

/** Variables the script sets for every job (a spec's own values for them are ignored). */
const SET_BY_BACKEND = new Set(['JOBFUTURES_JOB_ID', 'JOBFUTURES_JOB_SIZE', 'JOBFUTURES_TASK_RANK']);

/** Path of the generated script of a submission (named after its first job). */
export function scriptPath(logDir: string, f58: string): string {
  return `${trimSlash(logDir)}/${f58}.sbatch`;
}

const ID = '"$__jf_id"';
const TMP = '"$__jf_tmp"';
/** Signals bash must survive while it waits (the command gets them from Slurm directly). */
const TRAPPED = 'HUP INT QUIT USR1 USR2 ALRM TERM';

/**
 * Renders the sbatch arguments and batch script of one job, or of an array (`ids.length > 1`).
 *
 * @throws RangeError when `ids` is empty.
 */
export function renderBatchScript(input: BatchScriptInput): RenderedBatchScript {
  const { ids } = input;
  if (ids.length === 0) throw new RangeError('renderBatchScript: no job ids');
  const array = ids.length > 1;
  return { sbatchArgs: sbatchArgs(input, array), script: script(input, array) };
}

function sbatchArgs(input: BatchScriptInput, array: boolean): string[] {
  const a = ['--parsable', `--job-name=${jobName(input.name)}`, `--chdir=${input.cwd}`];
  a.push(`--ntasks=${input.numTasks}`, `--cpus-per-task=${input.coresPerTask}`);
  if (input.numNodes !== undefined) a.push(`--nodes=${input.numNodes}`);
  if (input.exclusive) a.push('--exclusive');
  if (input.gpusPerTask > 0) a.push(`--gpus-per-task=${input.gpusPerTask}`);
  const time = durationToTimeLimit(input.duration);
  if (time !== undefined) a.push(`--time=${time}`);
  if (input.partition !== undefined) a.push(`--partition=${input.partition}`);
  if (input.account !== undefined) a.push(`--account=${input.account}`);
  if (array) {
    // Each task opens its own F58-named files in the script; Slurm's own files are not needed.
    const throttle = input.arrayThrottle !== undefined && input.arrayThrottle > 0 ? `%${input.arrayThrottle}` : '';
    a.push(`--array=0-${input.ids.length - 1}${throttle}`, '--output=/dev/null', '--error=/dev/null');
  } else {
    const id = input.ids[0]!;
    const out = expand(input.stdout, id, input.name);
    const err = expand(input.stderr, id, input.name);
    a.push(`--output=${slurmFilenameLiteral(out)}`);
    if (err !== out) a.push(`--error=${slurmFilenameLiteral(err)}`);
    if (input.stdin !== undefined) a.push(`--input=${slurmFilenameLiteral(expand(input.stdin, id, input.name))}`);
  }
  // ALL, not NONE: Slurm 22.05 turns NONE into --get-user-env (a login shell per job, 2.4x
  // slower on 200 jobs); the script clears the environment itself.
  a.push('--export=ALL');
  if (input.hold) a.push('--hold');
  const clauses = DEPENDENCY_KINDS.filter((k) => (input.dependencies[k]?.length ?? 0) > 0).map((k) => `${k}:${input.dependencies[k]!.join(':')}`);
  if (clauses.length > 0) a.push(`--dependency=${clauses.join(',')}`, '--kill-on-invalid-dep=yes');
  return a;
}

function script(input: BatchScriptInput, array: boolean): string {
  const { ids, name } = input;
  const L: string[] = [];
  L.push('#!/bin/bash');
  L.push(`# Batch script generated by jobfutures for ${array ? `an array of ${ids.length} jobs, ${ids[0]} .. ${ids[ids.length - 1]}` : `job ${ids[0]}`}. Do not edit.`);
  L.push(`__jf_log=${shQuote(trimSlash(input.logDir))}`);
  if (!array) {
    L.push(`__jf_id=${shQuote(ids[0]!)}`);
  } else {
    L.push('case ${SLURM_ARRAY_TASK_ID-} in');
    ids.forEach((id, i) => L.push(`${i}) __jf_id=${shQuote(id)} ;;`));
    L.push(`*) printf 'jobfutures: no job for array index %s\\n' "\${SLURM_ARRAY_TASK_ID-}" >&2; exit 1 ;;`);
    L.push('esac');
  }
  L.push('__jf_status="$__jf_log/$__jf_id.status"');
  L.push('__jf_path=$PATH');
  // Records "could not start" like the reaper does, then exits 127.
  L.push(
    `__jf_fail() { printf '%s\\nexec %s\\n' 32512 "$1" >"$__jf_status.tmp.$$" && PATH=$__jf_path mv -f -- "$__jf_status.tmp.$$" "$__jf_status"; printf 'jobfutures: cannot start %s\\n' "$1" >&2; exit 127; }`,
  );
  if (array) {
    const vars = { id: ID, name: shQuote(name) };
    const out = shTemplate(input.stdout, vars);
    const err = input.stderr === input.stdout ? '&1' : shTemplate(input.stderr, vars);
    const inn = input.stdin === undefined ? '' : ` <${shTemplate(input.stdin, vars)}`;
    L.push(`exec >${out} 2>${err}${inn} || __jf_fail "cannot open the job's stdin, stdout or stderr"`);
  }
  // A requeued job starts over: drop the previous run's status.
  L.push('[ -n "${SLURM_RESTART_COUNT-}" ] && rm -f -- "$__jf_status" "$__jf_status".started "$__jf_status".task.* 2>/dev/null');
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
  const multi = input.numTasks > 1;
  L.push('hash perl 2>/dev/null && __jf_perl=${BASH_CMDS[perl]}');
  if (multi) L.push('hash srun 2>/dev/null && __jf_srun=${BASH_CMDS[srun]}');
  L.push(`__jf_reaper=${shQuote(REAPER_SOURCE)}`);
  // The job's environment, exactly: NAME=VALUE words handed to the reaper (or to env(1)), which
  // keep Slurm's SLURM* variables and drop everything else.
  L.push('__jf_env=(');
  for (const [k, v] of Object.entries(input.environment)) {
    if ((!k.startsWith('SLURM') || k === 'SLURM_ARRAY_TASK_ID') && !SET_BY_BACKEND.has(k)) L.push(`  ${shQuote(`${k}=${v}`)}`);
  }
  L.push(`  JOBFUTURES_JOB_ID="$__jf_id" JOBFUTURES_JOB_SIZE=${input.numTasks} JOBFUTURES_TASK_RANK=0`);
  L.push(')');
  // As the local backend: {{tmpdir}} is substituted when the spec has files.
  const words = (prefix: string) => input.command.map((a) => (files.length > 0 ? shTemplate(prefix + a, { tmpdir: TMP }) : shQuote(prefix + a))).join(' ');
  const argv = words('');
  const reaper = (flags: string) => `"$__jf_perl" -e "$__jf_reaper" -- "$__jf_status" ${flags} \${#__jf_env[@]} "\${__jf_env[@]}" ${argv}`;
  // Through srun every word gets a '+' the reaper drops: srun splits its command line at a lone ':'.
  const reaperViaSrun = `"$__jf_perl" -e "$__jf_reaper" -- "+$__jf_status" +t "+\${#__jf_env[@]}" "\${__jf_env[@]/#/+}" ${words('+')}`;
  // Without Perl: clear the environment in bash and run the command through env(1).
  const clear = 'for __jf_v in $(compgen -e); do case $__jf_v in SLURM*) ;; *) unset -v "$__jf_v" 2>/dev/null ;; esac; done';
  const viaEnv = `env -u _ "\${__jf_env[@]}" ${argv}`;
  if (!multi) {
    L.push(`[ -n "\${__jf_perl-}" ] && exec ${reaper("''")}`);
    L.push(clear);
    L.push(`trap : ${TRAPPED}`);
    L.push(': >"$__jf_status.started"');
    L.push(`PATH=$__jf_path ${viaEnv}`);
    L.push('__jf_ws=$(( ($? & 255) << 8 ))');
  } else {
    const srun = [
      '"$__jf_srun"',
      '--export=ALL',
      `--ntasks=${input.numTasks}`,
      `--cpus-per-task=${input.coresPerTask}`,
      ...(input.gpusPerTask > 0 ? [`--gpus-per-task=${input.gpusPerTask}`] : []),
      '--kill-on-bad-exit=0',
      '--',
    ].join(' ');
    L.push('[ -n "${__jf_srun-}" ] || __jf_fail "srun: command not found"');
    L.push(`trap : ${TRAPPED}`);
    L.push('if [ -n "${__jf_perl-}" ]; then');
    L.push(`  ${srun} ${reaperViaSrun}`);
    L.push('else');
    L.push('  : >"$__jf_status.started"');
    L.push(`  ${clear}`);
    L.push(`  ${srun} "$(PATH=$__jf_path type -P env)" -u _ "\${__jf_env[@]}" ${argv}`);
    L.push('fi');
    L.push('__jf_rc=$? __jf_ws=-1 __jf_n=0');
    L.push('for __jf_f in "$__jf_status".task.*; do');
    L.push('  [ -e "$__jf_f" ] && read -r __jf_v <"$__jf_f" || continue');
    L.push('  case $__jf_v in ""|*[!0-9]*) continue ;; esac');
    L.push('  __jf_n=$((__jf_n + 1)); [ "$__jf_v" -gt "$__jf_ws" ] && __jf_ws=$__jf_v');
    L.push('done');
    // Tasks without a status file (killed hard): count srun's own exit code.
    L.push(`[ "$__jf_n" -lt ${input.numTasks} ] && [ $(( (__jf_rc & 255) << 8 )) -gt "$__jf_ws" ] && __jf_ws=$(( (__jf_rc & 255) << 8 ))`);
  }
  L.push(`printf '%s\\n' "$__jf_ws" >"$__jf_status.tmp.$$" && PATH=$__jf_path mv -f -- "$__jf_status.tmp.$$" "$__jf_status"`);
  L.push('exit $(( __jf_ws & 127 ? 128 + (__jf_ws & 127) : __jf_ws >> 8 ))');
  return L.join('\n') + '\n';
}

/** Job name for `--job-name`: control characters (which would break one-line outputs) become `_`. */
function jobName(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[\x00-\x1f\x7f]/g, '_');
}

function expand(template: string, id: string, name: string): string {
  return template.replace(/\{\{(id|name)\}\}/g, (_m, key: string) => (key === 'id' ? id : name));
}

/** `dir` without trailing slashes (`/` stays `/`). */
export function trimSlash(dir: string): string {
  return dir.length > 1 ? dir.replace(/\/+$/, '') : dir;
}

/**
 * A bash `printf` format that prints the file's bytes exactly: `%` and `\` doubled, control
 * characters (except newline and tab) and, for binary data, bytes >= 0x80 as `\ooo` escapes.
 */
function printfFormat(file: BatchScriptFile): string {
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
