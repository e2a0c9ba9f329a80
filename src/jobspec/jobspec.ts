/**
 * The {@link Jobspec} class: an immutable, validated Flux Jobspec V1.
 *
 * @module
 */
import { Buffer } from 'node:buffer';
import { stringify as stringifyYaml } from 'yaml';
import { errorText, InvalidArgumentError } from '../util/errors.js';
import { parseFSD } from '../util/fsd.js';
import { attributePath, getIn, pathPointer, setIn } from './attributes.js';
import { buildFromBatchCommand, buildFromCommand, BATCH_SCRIPT_PATH } from './builders.js';
import { JobspecValidationError } from './errors.js';
import { parseText, type JobspecTextFormat } from './parse.js';
import type { MpiOption } from './mpi-option.js';
import { describeValue } from './pointer.js';
import { snapshot } from './snapshot.js';
import type {
  FromBatchCommandOptions,
  FromCommandOptions,
  JobspecFile,
  JobspecV1Object,
  SlotVertex,
} from './types.js';
import { assertJobspec } from './validate.js';

/** Options of {@link Jobspec.parse}. */
export interface ParseOptions {
  /**
   * Text format. `'auto'` (the default) reads JSON when the text starts with `{` and YAML
   * otherwise (or when the JSON does not parse; YAML 1.2 is a superset of JSON).
   */
  format?: JobspecTextFormat;
}

/** Options of {@link Jobspec.dumps}. */
export interface DumpOptions {
  /** `'json'` (default) or `'yaml'`. */
  format?: 'json' | 'yaml';
  /** Spaces per indentation level: JSON `0`–`10` (default `0`, compact), YAML `1`–`10` (default `2`). */
  indent?: number;
}

/** Resource figures derived from the resource graph, computed once per instance on first use. */
interface Shape {
  readonly numNodes: number | undefined;
  readonly numSlots: number;
  readonly coresPerSlot: number;
  readonly gpusPerSlot: number;
  readonly numTasks: number;
  readonly tasksPerSlot: number;
  readonly exclusive: boolean;
}

/**
 * An immutable, validated Flux Jobspec V1 (RFC 25, the restricted form of RFC 14's canonical
 * jobspec): what to run and on which resources.
 *
 * Instances are frozen, and so is the plain object they wrap ({@link Jobspec.toJSON}); every
 * "setter" ({@link Jobspec.setAttribute}) returns a new, validated instance and leaves the
 * original unchanged. Instances can therefore be shared freely, e.g. by thousands of jobs of
 * one fan-out.
 *
 * Build one with {@link Jobspec.fromCommand} / {@link Jobspec.fromBatchCommand} (Flux's
 * `JobspecV1.from_command` / `from_batch_command` rules), {@link Jobspec.fromObject} or
 * {@link Jobspec.parse}.
 *
 * @example
 * ```ts
 * const spec = Jobspec.fromCommand(['hostname'], { numTasks: 4, numNodes: 2, duration: '10m' });
 * spec.numTasks;             // 4
 * spec.duration;             // 600
 * const named = spec.setAttribute('job.name', 'probe'); // a new Jobspec
 * ```
 */
export class Jobspec {
  readonly #spec: JobspecV1Object;
  // Private fields stay writable on a frozen instance: used only as a lazy cache.
  #shape: Shape | undefined;

  private constructor(spec: JobspecV1Object) {
    this.#spec = spec;
    Object.freeze(this);
  }

  // -------------------------------------------------------------------------------------------
  // Factories

  /**
   * Validate a plain object as Jobspec V1 and wrap a deep-frozen copy of it (the argument is
   * not kept, not frozen and not modified); `fromObject(obj).toJSON()` deep-equals `obj`. A
   * `Jobspec` instance is returned as is (it is immutable and already valid).
   *
   * @throws {@link JobspecValidationError} for anything that is not a valid Jobspec V1 made of
   *   JSON data (and never any other error).
   */
  static fromObject(obj: unknown): Jobspec {
    try {
      if (obj instanceof Jobspec) return obj;
      const copy = snapshot(obj);
      assertJobspec(copy);
      return new Jobspec(copy);
    } catch (error) {
      if (error instanceof JobspecValidationError) throw error;
      // Getters or proxies of the argument threw, or the input overflowed the stack.
      throw new JobspecValidationError([{ path: '', message: `cannot be read (${unreadableText(error)})` }], { cause: error });
    }
  }

  /**
   * Parse JSON or YAML jobspec text and validate it.
   *
   * @param text - the jobspec document.
   * @param opts - `format` (default `'auto'`).
   * @throws {@link JobspecParseError} on a syntax error (with its line and column).
   * @throws {@link JobspecValidationError} when the document is not valid Jobspec V1.
   * @throws {@link InvalidArgumentError} when `text` is not a string or `opts.format` is unknown.
   */
  static parse(text: string, opts?: ParseOptions): Jobspec {
    if (typeof text !== 'string') throw new InvalidArgumentError('text', `must be a string (got ${describeValue(text)})`);
    const format = opts?.format ?? 'auto';
    if (format !== 'auto' && format !== 'json' && format !== 'yaml') {
      throw new InvalidArgumentError('opts.format', `must be 'json', 'yaml' or 'auto' (got ${describeValue(format)})`);
    }
    return Jobspec.fromObject(parseText(text, format));
  }

  /**
   * Build the jobspec of a command, as Flux's `JobspecV1.from_command` does.
   *
   * - Without `numNodes`: `slot(count=numTasks, label='task') > core(coresPerTask)
   *   [+ gpu(gpusPerTask)]` and tasks `count: {per_slot: 1}`.
   * - With `numNodes`: `node(numNodes) > slot(ceil(numTasks / numNodes)) > ...`, tasks
   *   `count: {per_slot: 1}` if `numTasks` divides evenly, else `{total: numTasks}`.
   * - `duration` (seconds or FSD such as `'90s'`, `'10m'`, `'2h'`, `'1d'`) defaults to `0`
   *   (unlimited); `input` / `output` / `error` become job shell file redirects, kept as
   *   written (`{{id}}` / `{{name}}` templates allowed; `'none'` and `'kvs'` set no redirect,
   *   as in Flux). Unlike Flux, no environment is copied from the current process unless
   *   `environment` is given.
   *
   * @param command - the executable and its arguments (copied).
   * @throws {@link InvalidArgumentError} naming `command` or the option, e.g. `opts.numTasks`:
   *   empty command or non-string elements; counts that are not positive integers
   *   (`gpusPerTask` may be 0); `numNodes > numTasks`; `exclusive` without `numNodes`;
   *   negative, NaN, infinite or malformed `duration`; empty strings.
   */
  static fromCommand(command: readonly string[], opts?: FromCommandOptions): Jobspec {
    return new Jobspec(buildFromCommand(command, opts));
  }

  /**
   * Build the jobspec of a batch script, as Flux's `JobspecV1.from_batch_command` does (without
   * the nested Flux instance): the script is stored in `attributes.system.files.script` as
   * `{data: script, mode: 0o700, encoding: 'utf-8'}` and the command is
   * `['{{tmpdir}}/script', ...args]`. Backends write `files` to a per-job folder and substitute
   * `{{tmpdir}}` with it. Other options are those of {@link Jobspec.fromCommand}.
   *
   * @param script - the script text; must start with `#!`.
   * @throws {@link InvalidArgumentError} (`script`) when the script does not start with `#!`,
   *   and as {@link Jobspec.fromCommand} does for the options (plus `opts.args`).
   */
  static fromBatchCommand(script: string, opts?: FromBatchCommandOptions): Jobspec {
    return new Jobspec(buildFromBatchCommand(script, opts));
  }

  // -------------------------------------------------------------------------------------------
  // Attributes

  /**
   * Return a new, validated Jobspec with one attribute set, using Flux's dotted keys: the key is
   * prefixed with `attributes.system.` unless it starts with `user.`, `system.` (then
   * `attributes.` is prefixed) or `attributes.`. Missing intermediate objects are created. A
   * `value` of `undefined` deletes the key. The value is copied (it must be JSON data). This
   * instance is not changed.
   *
   * @example `spec.setAttribute('duration', 60)` sets `attributes.system.duration`;
   *   `spec.setAttribute('user.tag', 'x')` sets `attributes.user.tag`.
   * @throws {@link InvalidArgumentError} (`key`) for a malformed key or one that runs through a
   *   non-object value.
   * @throws {@link JobspecValidationError} when the result is not valid Jobspec V1.
   */
  setAttribute(key: string, value: unknown): Jobspec {
    const segments = attributePath(key);
    const copy = value === undefined ? undefined : snapshot(value, pathPointer(segments));
    const next = setIn(this.#spec, segments, copy, key);
    assertJobspec(next);
    return new Jobspec(next);
  }

  /**
   * Read an attribute by dotted key, with the same prefix rule as {@link Jobspec.setAttribute}.
   *
   * @returns the (frozen) value, or `undefined` when absent.
   * @throws {@link InvalidArgumentError} (`key`) for a malformed key.
   */
  getAttribute(key: string): unknown {
    return getIn(this.#spec, attributePath(key));
  }

  // -------------------------------------------------------------------------------------------
  // Serialisation

  /** The canonical plain Jobspec V1 object: deep-frozen, safe to share (also used by `JSON.stringify`). */
  toJSON(): JobspecV1Object {
    return this.#spec;
  }

  /**
   * Serialise to JSON (default, compact) or YAML. `Jobspec.parse(spec.dumps(opts))` gives an
   * equal jobspec.
   *
   * @throws {@link InvalidArgumentError} for an unknown `opts.format` or a bad `opts.indent`.
   */
  dumps(opts?: DumpOptions): string {
    const format = opts?.format ?? 'json';
    if (format !== 'json' && format !== 'yaml') {
      throw new InvalidArgumentError('opts.format', `must be 'json' or 'yaml' (got ${describeValue(format)})`);
    }
    const min = format === 'json' ? 0 : 1;
    const indent = opts?.indent ?? (format === 'json' ? 0 : 2);
    if (typeof indent !== 'number' || !Number.isInteger(indent) || indent < min || indent > 10) {
      throw new InvalidArgumentError('opts.indent', `must be an integer from ${min} to 10 (got ${describeValue(indent)})`);
    }
    if (format === 'json') return JSON.stringify(this.#spec, null, indent);
    return stringifyYaml(this.#spec, { indent, lineWidth: 0 });
  }

  // -------------------------------------------------------------------------------------------
  // Read accessors

  /** The command of the task (executable and arguments). */
  get command(): readonly string[] {
    return this.#spec.tasks[0].command;
  }

  /** Total number of tasks: `count.total`, or `per_slot` × {@link Jobspec.numSlots}. */
  get numTasks(): number {
    return this.#derived().numTasks;
  }

  /**
   * Cores per task: cores per slot divided by tasks per slot (rounded down, at least 1), as Flux
   * lays tasks out. Tasks per slot is `per_slot`, or `ceil(total / numSlots)` with `total`.
   * `1` by default.
   */
  get coresPerTask(): number {
    const shape = this.#derived();
    return Math.max(1, Math.floor(shape.coresPerSlot / shape.tasksPerSlot));
  }

  /** GPUs per task: GPUs per slot divided by tasks per slot (rounded down); `0` if none. */
  get gpusPerTask(): number {
    const shape = this.#derived();
    return Math.floor(shape.gpusPerSlot / shape.tasksPerSlot);
  }

  /** Node count, or `undefined` when the spec has no node level. */
  get numNodes(): number | undefined {
    return this.#derived().numNodes;
  }

  /** Total slots: slot count × node count (1 without a node level). */
  get numSlots(): number {
    return this.#derived().numSlots;
  }

  /** Cores in each slot. */
  get coresPerSlot(): number {
    return this.#derived().coresPerSlot;
  }

  /** Cores a scheduler must grant: {@link Jobspec.numSlots} × {@link Jobspec.coresPerSlot}. */
  get totalCores(): number {
    const shape = this.#derived();
    return shape.numSlots * shape.coresPerSlot;
  }

  /** Whether whole nodes are requested exclusively (`exclusive: true` on the node vertex). */
  get exclusive(): boolean {
    return this.#derived().exclusive;
  }

  /** Time limit in seconds; `0` means unlimited. */
  get duration(): number {
    return this.#spec.attributes.system.duration;
  }

  /** Working directory of the tasks, if set. */
  get cwd(): string | undefined {
    return this.#spec.attributes.system.cwd;
  }

  /** Environment of the tasks, or `undefined` when the spec has none. */
  get environment(): Readonly<Record<string, string>> | undefined {
    return this.#spec.attributes.system.environment;
  }

  /** Job name (`attributes.system.job.name`), if set. */
  get name(): string | undefined {
    return this.#spec.attributes.system.job?.name;
  }

  /** Path stdin is read from, as written (may hold `{{id}}` / `{{name}}`), if redirected. */
  get stdin(): string | undefined {
    return this.#spec.attributes.system.shell?.options?.input?.stdin?.path;
  }

  /** Path stdout is written to, as written (may hold `{{id}}` / `{{name}}`), if redirected. */
  get stdout(): string | undefined {
    return this.#spec.attributes.system.shell?.options?.output?.stdout?.path;
  }

  /**
   * Path stderr is written to, as written (may hold `{{id}}` / `{{name}}`), if redirected on its
   * own. (When only stdout is redirected, Flux's job shell sends stderr to the same file.)
   */
  get stderr(): string | undefined {
    return this.#spec.attributes.system.shell?.options?.output?.stderr?.path;
  }

  /**
   * The MPI launcher option (`attributes.system.shell.options.mpi`: `openmpi`, `mpich` or `auto`),
   * if set. With more than one task the job runs as one MPI job (see `MPI_OPTION_VALUES`).
   */
  get mpi(): MpiOption | undefined {
    return this.#spec.attributes.system.shell?.options?.mpi as MpiOption | undefined;
  }

  /** Target queue, if set. */
  get queue(): string | undefined {
    return this.#spec.attributes.system.queue;
  }

  /** RFC 37 files (`attributes.system.files`) the backend writes to `{{tmpdir}}`, if any. */
  get files(): Readonly<Record<string, JobspecFile>> | undefined {
    return this.#spec.attributes.system.files;
  }

  /**
   * The batch script (the text of `files.script`, decoded if base64) when the command runs it
   * (`command[0]` is `{{tmpdir}}/script`, as {@link Jobspec.fromBatchCommand} builds), else
   * `undefined`.
   */
  get batchScript(): string | undefined {
    const script = this.#spec.attributes.system.files?.script;
    if (script === undefined || this.#spec.tasks[0].command[0] !== BATCH_SCRIPT_PATH) return undefined;
    return script.encoding === 'base64' ? Buffer.from(script.data, 'base64').toString('utf8') : script.data;
  }

  /**
   * Run time of a simulated job, `attributes.system.exec.test.run_duration`, in seconds (FSD
   * strings are parsed), else `undefined`.
   */
  get testRunDuration(): number | undefined {
    const value = this.#spec.attributes.system.exec?.test?.run_duration;
    return value === undefined ? undefined : parseFSD(value, 'attributes.system.exec.test.run_duration');
  }

  #derived(): Shape {
    return (this.#shape ??= shapeOf(this.#spec));
  }
}

function shapeOf(spec: JobspecV1Object): Shape {
  const top = spec.resources[0];
  const numNodes = top.type === 'node' ? top.count : undefined;
  const slot: SlotVertex = top.type === 'node' ? top.with[0] : top;
  let coresPerSlot = 0;
  let gpusPerSlot = 0;
  for (const child of slot.with) {
    if (child.type === 'core') coresPerSlot += child.count;
    else gpusPerSlot += child.count;
  }
  const numSlots = slot.count * (numNodes ?? 1);
  const count = spec.tasks[0].count;
  const numTasks = 'total' in count ? count.total : count.per_slot * numSlots;
  const tasksPerSlot = 'total' in count ? Math.ceil(count.total / numSlots) : count.per_slot;
  return {
    numNodes,
    numSlots,
    coresPerSlot,
    gpusPerSlot,
    numTasks,
    tasksPerSlot,
    exclusive: top.type === 'node' && top.exclusive === true,
  };
}

/** Why an argument could not be read: its getters' error, or a stack overflow on deep nesting. */
function unreadableText(error: unknown): string {
  return error instanceof RangeError ? 'nested too deeply' : errorText(error);
}
