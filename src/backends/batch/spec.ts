/**
 * What a batch backend reads from a Jobspec, the checks every batch job needs, and how its name,
 * working directory and output paths are resolved (as the local backend resolves them).
 *
 * @module
 */
import path from 'node:path';
import { UnsatisfiableRequestError } from '../../core/errors.js';
import type { MpiOption } from '../../jobspec/index.js';
import { defaultOutputTemplates } from './job-files.js';
import type { BatchScriptFile } from './job-script.js';
import { expandPathTemplate } from './quote.js';

/** What the jobspec accessors give that a batch backend uses (the `Jobspec` class has them all). */
export interface BatchSpecView {
  readonly command: readonly string[];
  readonly numTasks: number;
  readonly coresPerTask: number;
  readonly gpusPerTask: number;
  readonly numNodes: number | undefined;
  readonly exclusive: boolean;
  readonly duration: number;
  readonly cwd?: string | undefined;
  readonly environment?: Readonly<Record<string, string>> | undefined;
  readonly name?: string | undefined;
  readonly stdin?: string | undefined;
  readonly stdout?: string | undefined;
  readonly stderr?: string | undefined;
  readonly queue?: string | undefined;
  readonly files?: Readonly<Record<string, BatchScriptFile>> | undefined;
  /** The MPI launcher option (`openmpi`, `mpich`, `auto`), see `mpi.ts`. */
  readonly mpi?: MpiOption | undefined;
}

/**
 * Rejects specs no batch job can run as written: NUL characters (no argument, variable or path
 * can hold one), environment names that are empty or hold `=`, and file names that are not plain
 * names.
 *
 * @throws {@link UnsatisfiableRequestError} naming the offending part of the spec.
 */
export function checkBatchSpec(spec: BatchSpecView, scheduler: string): void {
  const noNul = (s: string, where: string) => {
    if (s.includes('\0')) throw new UnsatisfiableRequestError(where, `holds a NUL character, which no ${scheduler} job can receive`);
  };
  spec.command.forEach((arg, i) => noNul(arg, `/tasks/0/command/${i}`));
  const env = spec.environment;
  if (env) {
    for (const [k, v] of Object.entries(env)) {
      if (k === '' || k.includes('=')) throw new UnsatisfiableRequestError(`/attributes/system/environment/${k}`, 'variable names cannot be empty or hold "="');
      noNul(k, `/attributes/system/environment/${k}`);
      noNul(v, `/attributes/system/environment/${k}`);
    }
  }
  for (const [key, value] of [['cwd', spec.cwd], ['stdin', spec.stdin], ['stdout', spec.stdout], ['stderr', spec.stderr], ['name', spec.name], ['queue', spec.queue]] as const) {
    if (value !== undefined) noNul(value, `/attributes/system/${key}`);
  }
  for (const name of Object.keys(spec.files ?? {})) {
    if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
      throw new UnsatisfiableRequestError(`/attributes/system/files/${name}`, 'file names must be plain names inside {{tmpdir}} (no "/", ".", "..")');
    }
  }
}

/** The job's name: the spec's, else the command's base name (as the local backend). */
export function jobName(spec: BatchSpecView): string {
  return spec.name ?? path.basename(spec.command[0] ?? 'job');
}

/** The job's absolute working directory: the spec's, resolved, else this process's. */
export function jobCwd(spec: BatchSpecView): string {
  return spec.cwd === undefined ? process.cwd() : path.resolve(spec.cwd);
}

/**
 * Absolute stdout/stderr/stdin templates (`{{id}}`, `{{name}}` left in), relative ones resolved
 * against the job's cwd; defaults `<logDir>/{{id}}.out` and `.err`, stderr following a given stdout.
 *
 * @param logDir - The backend's absolute log folder.
 */
export function pathTemplates(spec: BatchSpecView, logDir: string): { stdout: string; stderr: string; stdin?: string } {
  const base = jobCwd(spec);
  const defaults = defaultOutputTemplates(logDir);
  const stdout = spec.stdout === undefined ? defaults.stdout : path.resolve(base, spec.stdout);
  const stderr = spec.stderr === undefined ? (spec.stdout === undefined ? defaults.stderr : stdout) : path.resolve(base, spec.stderr);
  return { stdout, stderr, ...(spec.stdin !== undefined && { stdin: path.resolve(base, spec.stdin) }) };
}

/** The job's stdout/stderr files, absolute, templates expanded for job `f58`. */
export function outputPaths(spec: BatchSpecView, logDir: string, f58: string): { stdout: string; stderr: string } {
  const t = pathTemplates(spec, logDir);
  const name = jobName(spec);
  return { stdout: expandPathTemplate(t.stdout, f58, name), stderr: expandPathTemplate(t.stderr, f58, name) };
}

/** The environment of this process, for jobs whose spec has none. */
export function processEnvironment(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) out[k] = v;
  return out;
}

/** A value made on first use (e.g. {@link processEnvironment}, once per submit call). */
export class Lazy<T> {
  #value: T | undefined;
  #done = false;
  readonly #make: () => T;

  constructor(make: () => T) {
    this.#make = make;
  }

  /** The value, made now if it was not yet. */
  get(): T {
    if (!this.#done) {
      this.#value = this.#make();
      this.#done = true;
    }
    return this.#value as T;
  }
}
