/**
 * The jobspec a job is submitted to Flux with: the validated Jobspec V1 as it is, plus only what
 * Flux cannot know from it: the executor's own job id (`attributes.user.jobfutures.id`, how a
 * submission whose answer was lost is found again), dependencies given to the executor (as Flux
 * `afterok`/`afterany` entries of `attributes.system.dependencies`), and what the other backends
 * take from the submitting process when the spec leaves it out: the environment, the working
 * directory, and output files (`<logDir>/<f58>.out|.err`; `{{id}}`/`{{name}}` expanded with the
 * executor's id, so that the paths are known before Flux names the job).
 *
 * @module
 */
import path from 'node:path';
import type { Jobspec, JobspecV1Object } from '../../jobspec/index.js';
import { jobCwd, jobName, type Lazy } from '../batch/spec.js';
import { expandPathTemplate } from '../batch/quote.js';
import { defaultOutputTemplates } from '../batch/job-files.js';

/** The key under `attributes.user` where the executor's id of a job is put. */
export const USER_TAG_KEY = 'jobfutures';

/** Flux dependencies of a job, by scheme, as decimal Flux job ids. */
export interface FluxDependencies {
  readonly afterok: readonly bigint[];
  readonly afterany: readonly bigint[];
}

/** The absolute stdout/stderr (and stdin) paths of a job, templates expanded for `f58`. */
export function jobPaths(spec: Jobspec, logDir: string, f58: string): { stdout: string; stderr: string; stdin: string | undefined } {
  const base = jobCwd(spec);
  const name = jobName(spec);
  const defaults = defaultOutputTemplates(logDir);
  const resolve = (p: string) => expandPathTemplate(path.resolve(base, p), f58, name);
  const stdout = resolve(spec.stdout ?? defaults.stdout);
  const stderr = spec.stderr !== undefined ? resolve(spec.stderr) : spec.stdout !== undefined ? stdout : resolve(defaults.stderr);
  return { stdout, stderr, stdin: spec.stdin === undefined ? undefined : resolve(spec.stdin) };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends object ? Mutable<T[K]> : T[K] };

/**
 * The object submitted for a job (a copy: the Jobspec is not changed).
 *
 * @param spec - The validated jobspec.
 * @param f58 - The executor's id of the job.
 * @param logDir - Where default outputs go.
 * @param deps - Dependencies on Flux jobs from the executor's `dependsOn`/`dependsOnAny`.
 * @param env - This process's environment, made once per submit call, for specs without one.
 */
export function fluxSubmission(spec: Jobspec, f58: string, logDir: string, deps: FluxDependencies, env: Lazy<Record<string, string>>): JobspecV1Object {
  const obj = structuredClone(spec.toJSON()) as Mutable<JobspecV1Object>;
  const attrs = obj.attributes;
  const system = attrs.system as Mutable<JobspecV1Object['attributes']['system']> & Record<string, unknown>;
  system.cwd = jobCwd(spec);
  system.environment ??= env.get();
  const paths = jobPaths(spec, logDir, f58);
  const shell = (system.shell ??= {}) as Record<string, unknown> & { options?: Record<string, unknown> };
  const options = (shell.options ??= {});
  const output = (options.output ??= {}) as Record<string, Record<string, unknown> | undefined>;
  output.stdout = { type: 'file', ...output.stdout, path: paths.stdout };
  if (spec.stderr !== undefined || spec.stdout === undefined) output.stderr = { type: 'file', ...output.stderr, path: paths.stderr };
  if (paths.stdin !== undefined) {
    const input = options.input as Record<string, Record<string, unknown> | undefined>;
    input.stdin = { type: 'file', ...input.stdin, path: paths.stdin };
  }
  if (deps.afterok.length > 0 || deps.afterany.length > 0) {
    const list = [...((system.dependencies as unknown[] | undefined) ?? [])];
    for (const id of deps.afterok) list.push({ scheme: 'afterok', value: id.toString() });
    for (const id of deps.afterany) list.push({ scheme: 'afterany', value: id.toString() });
    system.dependencies = list as never;
  }
  if (system.files) {
    // Flux's job shell wants st_mode (S_IFREG 0o100000 with the permission bits), as `flux batch` writes it.
    const files: Record<string, unknown> = {};
    for (const [name, file] of Object.entries(system.files as Record<string, { mode?: number }>)) {
      files[name] = typeof file.mode === 'number' && (file.mode & 0o170000) === 0 ? { ...file, mode: file.mode | 0o100000 } : file;
    }
    system.files = files as never;
  }
  (attrs as { user?: Record<string, unknown> }).user = { ...attrs.user, [USER_TAG_KEY]: { id: f58 } };
  return obj as JobspecV1Object;
}

/** The executor's id a submitted jobspec carries (see {@link fluxSubmission}), if any. */
export function taggedId(jobspec: unknown): string | undefined {
  const user = (jobspec as { attributes?: { user?: Record<string, unknown> } } | undefined)?.attributes?.user;
  const tag = user?.[USER_TAG_KEY] as { id?: unknown } | undefined;
  return typeof tag?.id === 'string' ? tag.id : undefined;
}
