/**
 * Builders of Jobspec V1 objects from a command line, following Flux's
 * `JobspecV1.from_command` and `from_batch_command` (flux-core `flux/job/Jobspec.py`).
 *
 * Shapes (as in Flux):
 * - without `numNodes`: `slot(count=numTasks, label='task') > core(coresPerTask) [+ gpu(gpusPerTask)]`,
 *   tasks `count: {per_slot: 1}`;
 * - with `numNodes`: `node(numNodes[, exclusive]) > slot(ceil(numTasks / numNodes)) > ...`, tasks
 *   `count: {per_slot: 1}` when `numTasks` divides evenly, else `{total: numTasks}`.
 *
 * Every option is checked first (errors are {@link InvalidArgumentError} naming the option,
 * e.g. `opts.numTasks`); the object is then built directly in its final shape, frozen and
 * validated once against the compiled schema. Nothing is deep-copied on this path, and
 * identical resource graphs and redirects are shared between specs (they are deep-frozen).
 *
 * @module
 */
import { InvalidArgumentError } from '../util/errors.js';
import { parseFSD } from '../util/fsd.js';
import { describeValue } from './pointer.js';
import type {
  CoreVertex,
  FromBatchCommandOptions,
  FromCommandOptions,
  GpuVertex,
  JobspecFile,
  JobspecV1Object,
  NodeVertex,
  SlotVertex,
  TaskCount,
} from './types.js';
import { assertJobspec } from './validate.js';

/** The label of the slot the builders create, as in Flux. */
export const TASK_SLOT_LABEL = 'task';

/** The command of a batch job: the script written by the backend to `{{tmpdir}}/script`. */
export const BATCH_SCRIPT_PATH = '{{tmpdir}}/script';

/** Permissions of the batch script file, as in Flux. */
export const BATCH_SCRIPT_MODE = 0o700;

/** `output` / `error` values that Flux does not treat as file paths. */
const NOT_A_PATH = new Set(['none', 'kvs']);

/**
 * Build, validate and freeze the Jobspec V1 object of `Jobspec.fromCommand`.
 *
 * @throws {@link InvalidArgumentError} naming `command` or the bad option.
 */
export function buildFromCommand(command: readonly string[], opts?: FromCommandOptions): JobspecV1Object {
  const args = checkCommand(command);
  return build(args, checkOptions(opts), undefined);
}

/**
 * Build, validate and freeze the Jobspec V1 object of `Jobspec.fromBatchCommand`: the script is
 * stored in `attributes.system.files.script` (`{data, mode: 0o700, encoding: 'utf-8'}`) and the
 * command is `['{{tmpdir}}/script', ...args]`.
 *
 * @throws {@link InvalidArgumentError} naming `script` or the bad option.
 */
export function buildFromBatchCommand(script: string, opts?: FromBatchCommandOptions): JobspecV1Object {
  if (typeof script !== 'string') {
    throw new InvalidArgumentError('script', `must be a string (got ${describeValue(script)})`);
  }
  if (!script.startsWith('#!')) {
    throw new InvalidArgumentError('script', "must start with '#!' (an interpreter line such as '#!/bin/sh')");
  }
  const options = checkOptions(opts);
  if (opts !== undefined && (opts as FromCommandOptions).input !== undefined) {
    throw new InvalidArgumentError('opts.input', 'is not supported by fromBatchCommand (read the input in the script)');
  }
  const extra = opts?.args;
  const command: string[] = [BATCH_SCRIPT_PATH];
  if (extra !== undefined) {
    if (!Array.isArray(extra)) {
      throw new InvalidArgumentError('opts.args', `must be an array of strings (got ${describeValue(extra)})`);
    }
    for (let i = 0; i < extra.length; i++) {
      const arg: unknown = extra[i];
      if (typeof arg !== 'string') {
        throw new InvalidArgumentError('opts.args', `element ${i} must be a string (got ${describeValue(arg)})`);
      }
      command.push(arg);
    }
  }
  const file: JobspecFile = Object.freeze({ data: script, mode: BATCH_SCRIPT_MODE, encoding: 'utf-8' });
  return build(command, options, Object.freeze({ script: file }));
}

// ---------------------------------------------------------------------------------------------

/** Options after checking, with defaults applied. */
interface CheckedOptions {
  numTasks: number;
  coresPerTask: number;
  gpusPerTask: number;
  numNodes: number | undefined;
  exclusive: boolean;
  duration: number;
  environment: Readonly<Record<string, string>> | undefined;
  cwd: string | undefined;
  name: string | undefined;
  input: string | undefined;
  output: string | undefined;
  error: string | undefined;
  queue: string | undefined;
}

function checkCommand(command: readonly string[]): string[] {
  if (!Array.isArray(command)) {
    throw new InvalidArgumentError('command', `must be an array of strings (got ${describeValue(command)})`);
  }
  if (command.length === 0) throw new InvalidArgumentError('command', 'must not be empty');
  for (let i = 0; i < command.length; i++) {
    const arg: unknown = command[i];
    if (typeof arg !== 'string') {
      throw new InvalidArgumentError('command', `element ${i} must be a string (got ${describeValue(arg)})`);
    }
  }
  return command.slice();
}

function checkOptions(opts: FromCommandOptions | undefined): CheckedOptions {
  if (opts === undefined) {
    return {
      numTasks: 1,
      coresPerTask: 1,
      gpusPerTask: 0,
      numNodes: undefined,
      exclusive: false,
      duration: 0,
      environment: undefined,
      cwd: undefined,
      name: undefined,
      input: undefined,
      output: undefined,
      error: undefined,
      queue: undefined,
    };
  }
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    throw new InvalidArgumentError('opts', `must be an object (got ${describeValue(opts)})`);
  }
  const numTasks = countOption(opts.numTasks, 'opts.numTasks', 1, 1);
  const coresPerTask = countOption(opts.coresPerTask, 'opts.coresPerTask', 1, 1);
  const gpusPerTask = countOption(opts.gpusPerTask, 'opts.gpusPerTask', 0, 0);
  const numNodes = opts.numNodes === undefined ? undefined : countOption(opts.numNodes, 'opts.numNodes', 1, 1);
  const exclusive = opts.exclusive ?? false;
  if (typeof exclusive !== 'boolean') {
    throw new InvalidArgumentError('opts.exclusive', `must be a boolean (got ${describeValue(exclusive)})`);
  }
  if (numNodes !== undefined && numNodes > numTasks) {
    throw new InvalidArgumentError(
      'opts.numNodes',
      `must not be greater than opts.numTasks (got ${numNodes} nodes for ${numTasks} tasks)`,
    );
  }
  if (exclusive && numNodes === undefined) {
    throw new InvalidArgumentError('opts.exclusive', 'can only be set with opts.numNodes');
  }
  return {
    numTasks,
    coresPerTask,
    gpusPerTask,
    numNodes,
    exclusive,
    duration: durationOption(opts.duration),
    environment: environmentOption(opts.environment),
    cwd: stringOption(opts.cwd, 'opts.cwd'),
    name: stringOption(opts.name, 'opts.name'),
    input: stringOption(opts.input, 'opts.input'),
    output: stringOption(opts.output, 'opts.output'),
    error: stringOption(opts.error, 'opts.error'),
    queue: stringOption(opts.queue, 'opts.queue'),
  };
}

function countOption(value: unknown, argument: string, fallback: number, minimum: 0 | 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum) {
    const what = minimum === 1 ? 'a positive integer' : 'a non-negative integer';
    throw new InvalidArgumentError(argument, `must be ${what} (got ${describeValue(value)})`);
  }
  return value;
}

function durationOption(value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' && typeof value !== 'string') {
    throw new InvalidArgumentError(
      'opts.duration',
      `must be seconds or a Flux Standard Duration string such as '90s', '10m', '2h', '1d' (got ${describeValue(value)})`,
    );
  }
  const seconds = parseFSD(value, 'opts.duration');
  if (seconds === Infinity) {
    throw new InvalidArgumentError('opts.duration', 'must be finite (use 0 for no time limit)');
  }
  return seconds;
}

function stringOption(value: unknown, argument: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new InvalidArgumentError(argument, `must be a string (got ${describeValue(value)})`);
  if (value === '') throw new InvalidArgumentError(argument, 'must not be empty');
  return value;
}

function environmentOption(value: unknown): Readonly<Record<string, string>> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError('opts.environment', `must be an object of strings (got ${describeValue(value)})`);
  }
  const source = value as Record<string, unknown>;
  const copy: Record<string, string> = {};
  for (const name of Object.keys(source)) {
    const entry = source[name];
    if (typeof entry !== 'string') {
      throw new InvalidArgumentError('opts.environment', `value of ${JSON.stringify(name)} must be a string (got ${describeValue(entry)})`);
    }
    if (name === '' || name.includes('=')) {
      throw new InvalidArgumentError('opts.environment', `invalid variable name ${JSON.stringify(name)} (must be non-empty, without '=')`);
    }
    if (name === '__proto__') {
      Object.defineProperty(copy, name, { value: entry, enumerable: true, writable: true, configurable: true });
    } else {
      copy[name] = entry;
    }
  }
  return Object.freeze(copy);
}

// ---------------------------------------------------------------------------------------------

const PER_SLOT_ONE: TaskCount = Object.freeze({ per_slot: 1 });

/*
 * Builders produce the same resource graphs and redirects over and over (a fan-out of thousands
 * of jobs with one shape), and `Object.freeze` calls dominate build time. So identical frozen
 * parts are made once and shared between specs, which is safe because they are immutable. The
 * caches are small and start over when full; lookups use cheap keys (a packed number, or the
 * caller's own strings), since building string keys would cost as much as the freezes saved.
 */
const CACHE_LIMIT = 256;
const resourceCache = new Map<number, readonly [NodeVertex | SlotVertex]>();
const shellCache = new Map<string | undefined, Map<string | undefined, Map<string | undefined, object | undefined>>>();
let shellCacheSize = 0;

/** The frozen `resources` array for these counts, shared when the counts are small. */
function resourcesFor(o: CheckedOptions): readonly [NodeVertex | SlotVertex] {
  const nodes = o.numNodes ?? 0;
  if (o.numTasks >= 4096 || o.coresPerTask >= 1024 || o.gpusPerTask >= 64 || nodes >= 4096) return makeResources(o);
  // < 2^42: an exact integer key.
  const key = (((o.numTasks * 1024 + o.coresPerTask) * 64 + o.gpusPerTask) * 4096 + nodes) * 2 + (o.exclusive ? 1 : 0);
  let resources = resourceCache.get(key);
  if (resources === undefined) {
    resources = makeResources(o);
    if (resourceCache.size >= CACHE_LIMIT) resourceCache.clear();
    resourceCache.set(key, resources);
  }
  return resources;
}

/** The frozen `shell` attribute for these redirects (or `undefined`), shared between specs. */
function shellFor(o: CheckedOptions): object | undefined {
  let byOutput = shellCache.get(o.input);
  if (byOutput === undefined) shellCache.set(o.input, (byOutput = new Map()));
  let byError = byOutput.get(o.output);
  if (byError === undefined) byOutput.set(o.output, (byError = new Map()));
  if (byError.has(o.error)) return byError.get(o.error);
  const shell = makeShell(o);
  if (shellCacheSize >= CACHE_LIMIT) {
    shellCache.clear();
    shellCacheSize = 0;
    return shell;
  }
  byError.set(o.error, shell);
  shellCacheSize++;
  return shell;
}

function build(
  command: string[],
  o: CheckedOptions,
  files: Readonly<Record<string, JobspecFile>> | undefined,
): JobspecV1Object {
  const resources = resourcesFor(o);
  const count: TaskCount =
    o.numNodes === undefined || o.numTasks % o.numNodes === 0 ? PER_SLOT_ONE : Object.freeze({ total: o.numTasks });

  const system: Record<string, unknown> = { duration: o.duration };
  if (o.environment !== undefined) system.environment = o.environment;
  if (o.cwd !== undefined) system.cwd = o.cwd;
  if (o.name !== undefined) system.job = Object.freeze({ name: o.name });
  if (o.input !== undefined || o.output !== undefined || o.error !== undefined) {
    const shell = shellFor(o);
    if (shell !== undefined) system.shell = shell;
  }
  if (o.queue !== undefined) system.queue = o.queue;
  if (files !== undefined) system.files = files;

  const spec = Object.freeze({
    version: 1,
    resources,
    tasks: Object.freeze([Object.freeze({ command: Object.freeze(command), slot: TASK_SLOT_LABEL, count })] as const),
    attributes: Object.freeze({ system: Object.freeze(system) }),
  }) as JobspecV1Object;
  assertJobspec(spec);
  return spec;
}

function makeResources(o: CheckedOptions): readonly [NodeVertex | SlotVertex] {
  const core: CoreVertex = Object.freeze({ type: 'core', count: o.coresPerTask });
  const children: ReadonlyArray<CoreVertex | GpuVertex> =
    o.gpusPerTask > 0 ? Object.freeze([core, Object.freeze({ type: 'gpu', count: o.gpusPerTask } as const)]) : Object.freeze([core]);
  if (o.numNodes === undefined) {
    return Object.freeze([Object.freeze({ type: 'slot', count: o.numTasks, label: TASK_SLOT_LABEL, with: children })] as const);
  }
  const slot: SlotVertex = Object.freeze({
    type: 'slot',
    count: Math.ceil(o.numTasks / o.numNodes),
    label: TASK_SLOT_LABEL,
    with: children,
  });
  const node: { type: 'node'; count: number; exclusive?: true; with: readonly [SlotVertex] } = {
    type: 'node',
    count: o.numNodes,
    with: Object.freeze([slot] as const),
  };
  if (o.exclusive) node.exclusive = true;
  return Object.freeze([Object.freeze(node)] as const);
}

/** `{options: {input: {stdin}, output: {stdout, stderr}}}`, or `undefined` when nothing is redirected. */
function makeShell(o: CheckedOptions): object | undefined {
  const stdout = o.output !== undefined && !NOT_A_PATH.has(o.output) ? o.output : undefined;
  const stderr = o.error !== undefined && !NOT_A_PATH.has(o.error) ? o.error : undefined;
  if (o.input === undefined && stdout === undefined && stderr === undefined) return undefined;
  const options: Record<string, unknown> = {};
  if (o.input !== undefined) {
    options.input = Object.freeze({ stdin: Object.freeze({ type: 'file', path: o.input }) });
  }
  if (stdout !== undefined || stderr !== undefined) {
    const output: Record<string, unknown> = {};
    if (stdout !== undefined) output.stdout = Object.freeze({ type: 'file', path: stdout });
    if (stderr !== undefined) output.stderr = Object.freeze({ type: 'file', path: stderr });
    options.output = Object.freeze(output);
  }
  return Object.freeze({ options: Object.freeze(options) });
}
