/**
 * `jobf submit`: writes new jobs to the store. Jobs of a queued backend (local) wait there for
 * `jobf execute` (as with `jman --local`); those of a backend that submits at once (a scheduler)
 * are handed to it by the `submitNow` hook.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join, resolve } from 'node:path';

import { InvalidArgumentError } from '../../util/errors.js';
import { FluidGenerator, type JobID } from '../../ids/index.js';
import type { FromCommandOptions, Jobspec } from '../../jobspec/index.js';
import { substitutePlaceholders } from '../../jobspec/placeholders.js';
import type { NewDependency } from '../../store/index.js';
import { backendPlugin } from '../../backends/registry.js';
import { URGENCY } from '../../core/lifecycle.js';
import { enqueue, type EnqueueRequest } from '../../durable/enqueue.js';
import { storeLogDir } from '../../durable/log-dir.js';
import { UnknownJobError } from '../../core/errors.js';
import { UsageError, commaList, positiveInt, type CommandSpec, type ParsedArgs } from '../shared/args.js';
import { parseIds, type CommandContext } from '../shared/context.js';
import { parseArrayRange } from '../shared/ranges.js';
import { epochSeconds } from '../../util/time.js';

/** The command's spec. */
export const spec: CommandSpec = {
  name: 'submit',
  summary: 'store a new job (local: queued for "jobf execute"; a scheduler: submitted now) and print its id',
  synopsis: '[--] CMD [ARGS...]',
  operands: 'command',
  options: [
    { name: 'name', short: 'n', value: 'NAME', help: 'job name (default: the command\'s basename)' },
    {
      name: 'array',
      short: 't',
      value: 'RANGE',
      help: 'one job per index: N (1 to N, as jman -t), A-B, A-B:STEP, comma-separated; {index} in the command becomes the index (\\{index} stays {index})',
    },
    {
      name: 'after',
      short: 'd',
      aliases: ['dependencies'],
      value: 'ID,...',
      repeat: true,
      help: 'run after these jobs completed successfully',
    },
    { name: 'after-any', value: 'ID,...', repeat: true, help: 'run after these jobs ended, however' },
    { name: 'log-dir', short: 'l', value: 'DIR', help: 'where stdout/stderr go (default: .jobf-logs next to the store)' },
    { name: 'cwd', value: 'DIR', help: 'working directory of the job (default: the current one)' },
    { name: 'env', value: 'KEY=VALUE', repeat: true, help: 'set an environment variable (on top of the current environment)' },
    { name: 'duration', value: 'TIME', help: 'time limit: seconds or 90s, 10m, 2h, 1d (default: none)' },
    { name: 'tasks', value: 'N', help: 'number of tasks (default 1)' },
    { name: 'cores', value: 'N', help: 'cores per task (default 1)' },
    { name: 'hold', help: 'submit held (urgency 0): it does not run until released' },
  ],
};

/** Environment variables an array task gets, all set to its index. */
export const ARRAY_INDEX_VARIABLES = ['JOBFUTURES_ARRAY_INDEX', 'SLURM_ARRAY_TASK_ID', 'SGE_TASK_ID'] as const;

/**
 * The command of one array task: `{index}` in each word becomes the index (the one placeholder rule,
 * {@link substitutePlaceholders}: `\\{index}` stays a literal `{index}`, `{{index}}` is not touched).
 */
export function withIndex(command: readonly string[], index: number): string[] {
  return substitutePlaceholders(command, { index: String(index) });
}

/** A job name made safe for a file name. */
function fileSafe(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100);
  return safe === '' || safe.startsWith('.') ? `job${safe}` : safe;
}

function parseEnv(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`--env needs KEY=VALUE, got "${v}"`);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

function dependencies(args: ParsedArgs): NewDependency[] {
  const ok = parseIds(commaList('--after', args.values('after')));
  const any = parseIds(commaList('--after-any', args.values('after-any')));
  for (const id of ok) {
    if (any.some((a) => a.value === id.value)) {
      throw new UsageError(`job ${id.f58} is given to both --after and --after-any`);
    }
  }
  return [
    ...ok.map((jobid): NewDependency => ({ jobid, kind: 'afterok' })),
    ...any.map((jobid): NewDependency => ({ jobid, kind: 'afterany' })),
  ];
}

/** Maps a builder's argument error to the option the user typed. */
const OPTION_OF: Readonly<Record<string, string>> = {
  'opts.duration': '--duration',
  'opts.numTasks': '--tasks',
  'opts.coresPerTask': '--cores',
  'opts.name': '--name',
  'opts.cwd': '--cwd',
  command: 'the command',
};

/**
 * The jobspec module, loaded on first use: it compiles its JSON Schema when imported, which costs
 * every other command a noticeable part of its start-up time for nothing.
 */
async function loadJobspec(): Promise<typeof Jobspec> {
  return (await import('../../jobspec/index.js')).Jobspec;
}

function buildSpec(JobspecClass: typeof Jobspec, command: readonly string[], opts: FromCommandOptions): Jobspec {
  try {
    return JobspecClass.fromCommand(command, opts);
  } catch (err) {
    if (err instanceof InvalidArgumentError) {
      const option = OPTION_OF[err.argument] ?? err.argument;
      const detail = err.message.slice(err.message.indexOf(': ') + 2);
      throw new UsageError(`invalid ${option}: ${detail}`);
    }
    throw err;
  }
}

/** Runs `jobf submit`. */
export async function run(ctx: CommandContext, args: ParsedArgs): Promise<number> {
  // Everything is checked and built before the store is touched: an error writes nothing.
  const command = args.operands;
  const numTasks = args.value('tasks') === undefined ? 1 : positiveInt('--tasks', args.value('tasks')!);
  const coresPerTask = args.value('cores') === undefined ? 1 : positiveInt('--cores', args.value('cores')!);
  const indexes = args.value('array') === undefined ? undefined : parseArrayRange(args.value('array')!);
  const deps = dependencies(args);
  const extraEnv = parseEnv(args.values('env'));
  const cwd = resolve(ctx.cwd, args.value('cwd') ?? '.');
  let isDir = false;
  try {
    isDir = statSync(cwd).isDirectory();
  } catch {
    // not there
  }
  if (!isDir) throw new UsageError(`--cwd ${cwd}: no such directory`);
  const logDir = args.value('log-dir') === undefined ? storeLogDir(ctx.dbPath) : resolve(ctx.cwd, args.value('log-dir')!);
  const name = args.value('name') ?? basename(command[0]!);
  if (name === '') throw new UsageError('--name must not be empty');
  const urgency = args.flag('hold') ? URGENCY.HOLD : URGENCY.DEFAULT;
  const plugin = backendPlugin(ctx.backend, '--backend');
  // Jobs queued in the store are run by `jobf execute` on this machine: one that needs more cores
  // than it has could never run there.
  const cpus = availableParallelism();
  if (!plugin.submitsAtOnce && numTasks * coresPerTask > cpus) {
    const asked = numTasks === 1 ? `--cores ${coresPerTask}` : `--tasks ${numTasks} × --cores ${coresPerTask} = ${numTasks * coresPerTask} cores`;
    throw new UsageError(`${asked}: more than the ${cpus} CPUs of this machine, where "jobf execute" runs ${ctx.backend} jobs; the job could never run`);
  }

  const baseEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx.env)) if (v !== undefined) baseEnv[k] = v;
  Object.assign(baseEnv, extraEnv);

  const JobspecClass = await loadJobspec();
  const gen = new FluidGenerator();
  const t = epochSeconds();
  const jobs: EnqueueRequest[] = [];
  let arrayId: JobID | undefined;
  for (const index of indexes ?? [undefined]) {
    const jobid = gen.next();
    const environment = { ...baseEnv };
    if (index !== undefined) {
      arrayId ??= jobid;
      for (const v of ARRAY_INDEX_VARIABLES) environment[v] = String(index);
    }
    const stem = join(logDir, `${fileSafe(name)}.${jobid.f58plain}`);
    const stdout = `${stem}.out`;
    const stderr = `${stem}.err`;
    const duration = args.value('duration');
    const jobspec = buildSpec(JobspecClass, index === undefined ? command : withIndex(command, index), {
      numTasks,
      coresPerTask,
      environment,
      cwd,
      name,
      output: stdout,
      error: stderr,
      ...(duration === undefined ? {} : { duration }),
    });
    jobs.push({
      jobid,
      spec: jobspec,
      backend: ctx.backend,
      urgency,
      dependencies: deps,
      logDir,
      ...(index !== undefined && { array: { id: arrayId!, index } }),
      submittedAt: t,
    });
  }

  // A dependency on a store that does not exist yet cannot be satisfied: say so without creating it.
  if (deps.length > 0 && !existsSync(ctx.dbPath)) {
    throw new UnknownJobError(String(deps[0]!.jobid), `(there is no job store at ${ctx.dbPath})`);
  }
  const store = ctx.openStore('create');
  try {
    for (const dep of deps) {
      if (!store.has(dep.jobid)) {
        throw new UnknownJobError(String(dep.jobid), `(given to --${dep.kind === 'afterok' ? 'after' : 'after-any'})`);
      }
    }
    enqueue(store, jobs);
    mkdirSync(logDir, { recursive: true });
    const ids = jobs.map((j) => j.jobid);
    if (plugin.submitsAtOnce) await ctx.hooks.submitNow(ctx, { store, backend: ctx.backend, ids });
    ctx.io.out(ctx.json ? JSON.stringify(ids.map((id) => id.f58)) + '\n' : ids.map((id) => id.f58 + '\n').join(''));
  } finally {
    store.close();
  }
  return 0;
}
