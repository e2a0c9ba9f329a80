/**
 * {@link AppRegistry}: libEnsemble's job controller / executor on a {@link JobExecutor}. Programs
 * are registered once by name (full path, optional calc type such as `sim` or `gen`) and then
 * launched by name with a process count and arguments; each launch is one job of the executor,
 * returned as an {@link AppTask} wrapping its {@link JobFuture}.
 *
 * The registry is bound to one executor (`new AppRegistry(ex)`), not held by it: the executor
 * layer stays free of workflow concepts, and several registries (e.g. one per worker) can share an
 * executor. It works on every backend, and with the executor's store like any submit.
 *
 * A launch with more than one process runs as ONE MPI job (the jobspec's `mpi` option; `'auto'`
 * by default, as libEnsemble's MPI executor always runs `mpirun`); `mpi: false` runs independent
 * tasks instead.
 *
 * @module
 */
import { accessSync, constants as fsConstants, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { JobExecutor, SubmitOptions } from '../../executor/index.js';
import { Jobspec, isMpiOption, type MpiOption } from '../../jobspec/index.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { splitAppArgs } from './app-args.js';
import { UnknownAppError } from './errors.js';
import { AppTask, type KillOptions } from './task.js';
import type { JobResult } from '../../core/types.js';

/** A registered app. */
export interface AppDefinition {
  /** The name it is launched by. */
  readonly name: string;
  /** Absolute path of the program. */
  readonly fullPath: string;
  /** Its calc type (`sim`, `gen`, or any other word), if given: `launch({ calcType })` finds it. */
  readonly calcType?: string;
  /** A description, for listings. */
  readonly desc?: string;
}

/** Options of {@link AppRegistry.register}. */
export interface RegisterOptions {
  /** Absolute path of the program (libEnsemble's `full_path`); it must exist and be executable. */
  readonly fullPath: string;
  /** Calc type (libEnsemble's `calc_type`): the app becomes the one `launch({ calcType })` runs. */
  readonly calcType?: string;
  /** A description. */
  readonly desc?: string;
}

/** Options of {@link AppRegistry.launch} (libEnsemble's `submit` arguments, camel-cased). */
export interface LaunchOptions {
  /** The app's name; or give {@link calcType} instead. */
  readonly app?: string;
  /** Launch the app registered for this calc type. */
  readonly calcType?: string;
  /** Processes (MPI ranks). Default: `numNodes × procsPerNode` when both are given, else 1. */
  readonly numProcs?: number;
  /** Nodes to spread the processes over. */
  readonly numNodes?: number;
  /** Processes per node (with `numNodes`, gives `numProcs`; with `numProcs`, gives `numNodes`). */
  readonly procsPerNode?: number;
  /** Cores per process. Default 1. */
  readonly coresPerProc?: number;
  /** Arguments: an argv array (used as is) or a string split like a shell would (quotes, backslashes; no expansion). */
  readonly appArgs?: string | readonly string[];
  /** Stdout file, relative to `workdir`. Default `<app>.<job id>.out` in `workdir`. */
  readonly stdout?: string;
  /** Stderr file, relative to `workdir`. Default `<app>.<job id>.err` in `workdir`. */
  readonly stderr?: string;
  /** Working directory (made if missing). Default: the registry's `workdir`, else this process's cwd. */
  readonly workdir?: string;
  /** MPI launcher for more than one process (`openmpi`, `mpich`, `auto`), or `false` for independent tasks. Default: the registry's (`auto`). */
  readonly mpi?: MpiOption | false;
  /** Environment of the processes. Default: this process's. */
  readonly environment?: Record<string, string>;
  /** Time limit: seconds or a Flux Standard Duration (`'10m'`). Default none. */
  readonly duration?: number | string;
  /** Job name. Default: the app's name. */
  readonly name?: string;
  /** Passed to `executor.submit` (urgency, dependencies, an AbortSignal that cancels the job). */
  readonly submit?: SubmitOptions;
}

/** Options of the {@link AppRegistry} constructor. */
export interface AppRegistryOptions {
  /** Default working directory of launches. Default: this process's cwd at launch. */
  readonly workdir?: string;
  /** Default MPI launcher of launches with more than one process. Default `'auto'`. */
  readonly mpi?: MpiOption | false;
}

/** Apps registered by name, launched on one executor (see the module description). */
export class AppRegistry {
  /** The executor launches go to. */
  readonly executor: JobExecutor;
  readonly #apps = new Map<string, AppDefinition>();
  readonly #byCalcType = new Map<string, string>();
  readonly #workdir: string | undefined;
  readonly #mpi: MpiOption | false;

  /** @throws {@link InvalidArgumentError} for an `mpi` value that is not an MPI option or `false`. */
  constructor(executor: JobExecutor, options: AppRegistryOptions = {}) {
    this.executor = executor;
    this.#workdir = options.workdir === undefined ? undefined : path.resolve(options.workdir);
    this.#mpi = checkMpi(options.mpi ?? 'auto', 'options.mpi');
  }

  /**
   * Registers (or replaces) an app. `name` defaults to the program's file name (libEnsemble's
   * `app_name`). With `calcType`, the app is the one launched for that calc type.
   *
   * @throws {@link InvalidArgumentError} when `fullPath` is not an absolute path to an executable file.
   */
  register(name: string | undefined, options: RegisterOptions): AppDefinition {
    const { fullPath } = options;
    if (typeof fullPath !== 'string' || !path.isAbsolute(fullPath)) throw new InvalidArgumentError('fullPath', `must be an absolute path (got ${JSON.stringify(fullPath)})`);
    try {
      if (!statSync(fullPath).isFile()) throw new Error('not a regular file');
      accessSync(fullPath, fsConstants.X_OK);
    } catch (error) {
      throw new InvalidArgumentError('fullPath', `${fullPath} is not an executable file (${(error as Error).message})`);
    }
    const appName = name ?? path.basename(fullPath);
    if (typeof appName !== 'string' || appName === '') throw new InvalidArgumentError('name', 'must be a non-empty string');
    const app: AppDefinition = Object.freeze({
      name: appName,
      fullPath,
      ...(options.calcType !== undefined && { calcType: options.calcType }),
      ...(options.desc !== undefined && { desc: options.desc }),
    });
    this.#apps.set(appName, app);
    if (options.calcType !== undefined) this.#byCalcType.set(options.calcType, appName);
    return app;
  }

  /** The app registered under `name`, if any. */
  get(name: string): AppDefinition | undefined {
    return this.#apps.get(name);
  }

  /** Every registered app, in registration order. */
  list(): AppDefinition[] {
    return [...this.#apps.values()];
  }

  /**
   * Launches a registered app: `launch('sim', { numProcs: 4, appArgs: '-n 10' })`, or
   * `launch({ calcType: 'sim', ... })`. Returns at once; the task runs in the background.
   *
   * Everything is checked before anything is submitted: an unknown app or calc type, bad numbers
   * or arguments throw here and leave nothing behind. A request the backend can never run (more
   * cores than it has, an MPI that is not installed) gives a task whose {@link AppTask.state} is
   * `FAILED_TO_START` and whose `await` rejects with that typed error, as `executor.submit` does.
   *
   * @throws {@link UnknownAppError} for a name or calc type nobody registered.
   * @throws {@link InvalidArgumentError} for inconsistent counts, bad `appArgs`, or a bad `mpi` value.
   */
  launch(app: string | LaunchOptions, options: LaunchOptions = {}): AppTask {
    const o: LaunchOptions = typeof app === 'string' ? { ...options, app } : app;
    const def = this.#resolve(o);
    const numProcs = processCount(o);
    const numNodes = o.numNodes ?? (o.procsPerNode !== undefined && o.numProcs !== undefined ? o.numProcs / o.procsPerNode : undefined);
    const mpi = checkMpi(o.mpi ?? this.#mpi, 'mpi');
    const appArgs = o.appArgs === undefined ? [] : typeof o.appArgs === 'string' ? splitAppArgs(o.appArgs) : [...o.appArgs];
    if (!appArgs.every((a) => typeof a === 'string')) throw new InvalidArgumentError('appArgs', 'must be a string or an array of strings');
    const workdir = path.resolve(o.workdir ?? this.#workdir ?? process.cwd());
    const argv = [def.fullPath, ...appArgs];
    let spec = Jobspec.fromCommand(argv, {
      numTasks: numProcs,
      ...(numNodes !== undefined && { numNodes }),
      ...(o.coresPerProc !== undefined && { coresPerTask: o.coresPerProc }),
      ...(o.duration !== undefined && { duration: o.duration }),
      ...(o.environment !== undefined && { environment: o.environment }),
      cwd: workdir,
      name: o.name ?? def.name,
      output: path.resolve(workdir, o.stdout ?? `${safeFileName(def.name)}.{{id}}.out`),
      error: path.resolve(workdir, o.stderr ?? `${safeFileName(def.name)}.{{id}}.err`),
    });
    if (numProcs > 1 && mpi !== false) spec = spec.setAttribute('system.shell.options.mpi', mpi);
    mkdirSync(workdir, { recursive: true });
    return new AppTask(this.executor, def, this.executor.submit(spec, o.submit), workdir, argv);
  }

  /** Ends a task (see {@link AppTask.kill}): SIGTERM, SIGKILL after `waitTime` ms (0: at once). */
  kill(task: AppTask, options: KillOptions = {}): Promise<JobResult> {
    return task.kill(options);
  }

  /** Polls a task without waiting (see {@link AppTask.poll}). */
  poll(task: AppTask): ReturnType<AppTask['poll']> {
    return task.poll();
  }

  #resolve(o: LaunchOptions): AppDefinition {
    if (o.app !== undefined) {
      const def = this.#apps.get(o.app);
      if (def === undefined) throw new UnknownAppError(o.app, [...this.#apps.keys()]);
      return def;
    }
    if (o.calcType !== undefined) {
      const name = this.#byCalcType.get(o.calcType);
      if (name === undefined) throw new UnknownAppError(o.calcType, [...this.#byCalcType.keys()], 'calc type');
      return this.#apps.get(name)!;
    }
    throw new InvalidArgumentError('app', 'give an app name or a calcType');
  }
}

/** numProcs from numProcs / numNodes / procsPerNode, which must agree. */
function processCount(o: LaunchOptions): number {
  for (const key of ['numProcs', 'numNodes', 'procsPerNode', 'coresPerProc'] as const) {
    const v = o[key];
    if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new InvalidArgumentError(key, `must be a positive integer (got ${String(v)})`);
  }
  const { numProcs, numNodes, procsPerNode } = o;
  if (procsPerNode !== undefined && numNodes === undefined && numProcs === undefined) {
    return procsPerNode; // one node
  }
  if (numNodes !== undefined && procsPerNode !== undefined) {
    const product = numNodes * procsPerNode;
    if (numProcs !== undefined && numProcs !== product) {
      throw new InvalidArgumentError('numProcs', `must equal numNodes × procsPerNode (${numNodes} × ${procsPerNode} = ${product}; got ${numProcs})`);
    }
    return product;
  }
  if (procsPerNode !== undefined && numProcs !== undefined) {
    if (numProcs % procsPerNode !== 0) throw new InvalidArgumentError('numProcs', `must be a multiple of procsPerNode ${procsPerNode} (got ${numProcs})`);
    return numProcs;
  }
  return numProcs ?? numNodes ?? 1;
}

function checkMpi(value: unknown, argument: string): MpiOption | false {
  if (value === false || isMpiOption(value)) return value;
  throw new InvalidArgumentError(argument, `must be 'openmpi', 'mpich', 'auto' or false (got ${JSON.stringify(value)})`);
}

/** An app name usable in a file name (`/` and control characters become `_`). */
function safeFileName(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[/\x00-\x1f\x7f]/g, '_');
}
