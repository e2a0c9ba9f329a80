/**
 * Types of the Jobspec V1 plain object (RFC 25, the restricted form of RFC 14's canonical
 * jobspec) and of the builder options.
 *
 * @module
 */

/** Cores per slot: `{type: 'core', count}` with `count >= 1`. */
export interface CoreVertex {
  readonly type: 'core';
  readonly count: number;
  readonly unit?: string;
}

/** GPUs per slot: `{type: 'gpu', count}` with `count >= 0`. */
export interface GpuVertex {
  readonly type: 'gpu';
  readonly count: number;
  readonly unit?: string;
}

/** A labelled task slot holding exactly one core vertex and at most one gpu vertex. */
export interface SlotVertex {
  readonly type: 'slot';
  readonly count: number;
  readonly label: string;
  readonly exclusive?: boolean;
  readonly unit?: string;
  readonly with: ReadonlyArray<CoreVertex | GpuVertex>;
}

/** `count` nodes, each holding the one slot vertex. */
export interface NodeVertex {
  readonly type: 'node';
  readonly count: number;
  readonly exclusive?: boolean;
  readonly unit?: string;
  readonly with: readonly [SlotVertex];
}

/** Task count: tasks per slot, or tasks in total across all slots. */
export type TaskCount = { readonly per_slot: number } | { readonly total: number };

/** The one task of a V1 jobspec. */
export interface TaskV1 {
  /** The executable and its arguments (non-empty). */
  readonly command: readonly string[];
  /** The label of the slot the tasks run in. */
  readonly slot: string;
  readonly count: TaskCount;
}

/** A job shell stdio redirect to a file (`{{id}}` / `{{name}}` templates allowed in `path`). */
export interface FileRedirect {
  readonly type: 'file';
  readonly path: string;
  readonly [key: string]: unknown;
}

/** An RFC 37 file archive entry (`attributes.system.files.<name>`). */
export interface JobspecFile {
  /** The content, encoded as `encoding` says (plain text when absent or `'utf-8'`). */
  readonly data: string;
  /** `'utf-8'` or `'base64'`. */
  readonly encoding?: string;
  /** Unix permission bits, e.g. `0o700`. */
  readonly mode?: number;
  readonly [key: string]: unknown;
}

/** An RFC 26 dependency. */
export interface JobspecDependency {
  readonly scheme: string;
  readonly value: string;
  readonly [key: string]: unknown;
}

/** Job shell options; `input` / `output` carry the stdio redirects. */
export interface ShellOptions {
  readonly input?: { readonly stdin?: FileRedirect; readonly [key: string]: unknown };
  readonly output?: {
    readonly stdout?: FileRedirect;
    readonly stderr?: FileRedirect;
    readonly [key: string]: unknown;
  };
  /** MPI launcher (`flux run -o mpi=...`): see `mpi-option.ts`. */
  readonly mpi?: string;
  readonly [key: string]: unknown;
}

/** `attributes.system`. Keys not listed here are allowed (RFC 14 reserves them for Flux). */
export interface SystemAttributes {
  /** Time limit in seconds; `0` means unlimited. */
  readonly duration: number;
  readonly cwd?: string;
  readonly environment?: Readonly<Record<string, string>>;
  readonly queue?: string;
  readonly job?: { readonly name?: string; readonly [key: string]: string | undefined };
  readonly shell?: { readonly options?: ShellOptions; readonly [key: string]: unknown };
  readonly dependencies?: readonly JobspecDependency[];
  readonly constraints?: Readonly<Record<string, unknown>>;
  readonly files?: Readonly<Record<string, JobspecFile>>;
  readonly exec?: {
    readonly test?: { readonly run_duration?: number | string; readonly [key: string]: unknown };
    readonly [key: string]: unknown;
  };
  readonly [key: string]: unknown;
}

/** The attributes section: `system` (required in V1) and free-form `user`. */
export interface JobspecAttributes {
  readonly system: SystemAttributes;
  readonly user?: Readonly<Record<string, unknown>>;
}

/**
 * A Jobspec V1 document as a plain JSON-compatible object. Objects returned by
 * `Jobspec#toJSON()` are deep-frozen.
 */
export interface JobspecV1Object {
  readonly version: 1;
  readonly resources: readonly [NodeVertex | SlotVertex];
  readonly tasks: readonly [TaskV1];
  readonly attributes: JobspecAttributes;
}

/** Options of `Jobspec.fromCommand`, following Flux's `JobspecV1.from_command`. */
export interface FromCommandOptions {
  /** Number of tasks. Positive integer; default `1`. */
  numTasks?: number;
  /** Cores per task. Positive integer; default `1`. */
  coresPerTask?: number;
  /** GPUs per task. Non-negative integer; default none (`0` also adds no gpu vertex). */
  gpusPerTask?: number;
  /** Spread the tasks over this many nodes. Positive integer, at most `numTasks`; default: no node level. */
  numNodes?: number;
  /** Allocate whole nodes exclusively. Needs `numNodes`; default `false`. */
  exclusive?: boolean;
  /** Time limit: seconds, or a Flux Standard Duration such as `'90s'`, `'10m'`, `'2h'`, `'1d'`. Default `0` (unlimited). */
  duration?: number | string;
  /** Environment of the tasks (copied). Default: none (the spec carries no environment). */
  environment?: Record<string, string>;
  /** Working directory of the tasks. Default: none. */
  cwd?: string;
  /** Job name (`attributes.system.job.name`). Default: none. */
  name?: string;
  /** Read stdin from this file. Templates `{{id}}` and `{{name}}` are kept as written. */
  input?: string;
  /** Write stdout to this file (templates allowed). As in Flux, `'none'` and `'kvs'` set no redirect. */
  output?: string;
  /** Write stderr to this file (templates allowed). As in Flux, `'none'` and `'kvs'` set no redirect. */
  error?: string;
  /** Target queue. Default: none. */
  queue?: string;
}

/** Options of `Jobspec.fromBatchCommand`: those of {@link FromCommandOptions} but `input`, plus `args`. */
export interface FromBatchCommandOptions extends Omit<FromCommandOptions, 'input'> {
  /** Arguments passed to the script. Default `[]`. */
  args?: string[];
}

/** One validation problem: where (`path`, a JSON pointer; `''` is the document root) and what. */
export interface JobspecIssue {
  readonly path: string;
  readonly message: string;
}
