/**
 * Where a local job's files are and what its processes get: the log folder, output paths with
 * Flux's templates expanded, the jobspec's files, the environment list, and the checks that tell
 * before spawning whether a job can start at all.
 */
import { accessSync, constants as fsConstants, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Jobspec } from '../../jobspec/index.js';

/** What the processes of one job are started with. */
export interface LaunchPlan {
  readonly argv: readonly string[];
  readonly env: readonly string[];
  readonly cwd: string | undefined;
  readonly stdin: string | undefined;
  readonly stdout: string;
  readonly stderr: string;
  readonly f58: string;
}

/** The log folder, output paths and environments of a backend's jobs. */
export class JobFiles {
  private dir: string | undefined;
  /** The folder exists (made once, not on every job). */
  private made = false;
  /** The folder is a temporary one made here (no `logDir` given): {@link removeTemporary} deletes it. */
  private temporary = false;
  private readonly envCache = new WeakMap<Jobspec, readonly string[]>();
  private inheritedEnv: readonly string[] | undefined;

  /** @param logDir the folder for default outputs; a new temp folder, made on first use, when undefined. */
  constructor(logDir: string | undefined) {
    this.dir = logDir;
  }

  /** The folder for default outputs, status files and jobspec files (made on first use). */
  get logDir(): string {
    if (!this.made) {
      if (this.dir === undefined) {
        this.dir = mkdtempSync(path.join(tmpdir(), 'jobfutures-'));
        this.temporary = true;
      } else mkdirSync(this.dir, { recursive: true });
      this.made = true;
    }
    return this.dir!;
  }

  /**
   * Deletes the log folder if it is a temporary one made here: once the backend is closed nobody
   * can reach its default outputs any more (give `logDir` to keep them).
   */
  removeTemporary(): void {
    if (!this.temporary) return;
    this.temporary = false;
    this.made = false;
    rmSync(this.dir!, { recursive: true, force: true });
    this.dir = undefined;
  }

  /** Everything needed to start the job's processes; writes the jobspec's files first. */
  plan(spec: Jobspec, f58: string): LaunchPlan {
    const cwd = spec.cwd;
    const { stdout, stderr } = this.outputPaths(spec, f58);
    const stdin = spec.stdin === undefined ? undefined : path.resolve(cwd ?? process.cwd(), expandTemplate(spec.stdin, f58, spec));
    let argv = spec.command;
    if (spec.files) argv = this.writeFiles(spec, f58, argv);
    return { argv, env: this.env(spec), cwd, stdin, stdout, stderr, f58 };
  }

  /** Absolute stdout and stderr paths: the spec's (templates expanded), else `<logDir>/<f58>.out|.err`. */
  outputPaths(spec: Jobspec, f58: string): { stdout: string; stderr: string } {
    const base = spec.cwd ?? process.cwd();
    const stdout = spec.stdout === undefined ? path.join(this.logDir, `${f58}.out`) : path.resolve(base, expandTemplate(spec.stdout, f58, spec));
    const stderr = spec.stderr === undefined ? (spec.stdout === undefined ? path.join(this.logDir, `${f58}.err`) : stdout) : path.resolve(base, expandTemplate(spec.stderr, f58, spec));
    return { stdout, stderr };
  }

  /** Writes the jobspec's files (a batch script) to `<logDir>/<f58>.d/` and substitutes `{{tmpdir}}`. */
  private writeFiles(spec: Jobspec, f58: string, argv: readonly string[]): readonly string[] {
    const dir = path.join(this.logDir, `${f58}.d`);
    mkdirSync(dir, { recursive: true });
    for (const [name, file] of Object.entries(spec.files!)) {
      writeFileSync(path.join(dir, name), file.data, { mode: file.mode ?? 0o600 });
    }
    return argv.map((a) => a.replaceAll('{{tmpdir}}', dir));
  }

  /** The spec's environment as `KEY=VALUE` strings, one array per spec object (spawners cache by identity). */
  private env(spec: Jobspec): readonly string[] {
    const environment = spec.environment;
    if (environment === undefined) {
      this.inheritedEnv ??= toEnvList(process.env);
      return this.inheritedEnv;
    }
    let env = this.envCache.get(spec);
    if (!env) this.envCache.set(spec, (env = toEnvList(environment)));
    return env;
  }
}

function toEnvList(env: Readonly<Record<string, string | undefined>>): string[] {
  const out: string[] = [];
  for (const key of Object.keys(env)) {
    const value = env[key];
    if (value !== undefined) out.push(`${key}=${value}`);
  }
  return out;
}

/** Expands Flux's `{{id}}` and `{{name}}` output templates. */
export function expandTemplate(template: string, f58: string, spec: Jobspec): string {
  if (!template.includes('{{')) return template;
  return template.replaceAll('{{id}}', f58).replaceAll('{{name}}', spec.name ?? path.basename(spec.command[0] ?? 'job'));
}

/** Why `argv0` cannot be executed with this environment's PATH, or undefined if it can. */
export function executableProblem(argv0: string, env: readonly string[], cwd: string | undefined): { why: string; code: number } | undefined {
  const candidates: string[] = [];
  if (argv0.includes('/')) candidates.push(path.resolve(cwd ?? process.cwd(), argv0));
  else {
    const pathVar = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? '/usr/bin:/bin';
    for (const dir of pathVar.split(':')) candidates.push(path.resolve(cwd ?? process.cwd(), dir || '.', argv0));
  }
  let sawFile = false;
  for (const file of candidates) {
    try {
      if (!statSync(file).isFile()) continue;
      sawFile = true;
      accessSync(file, fsConstants.X_OK);
      return undefined;
    } catch {
      // next candidate
    }
  }
  return sawFile ? { why: `${argv0}: permission denied`, code: 126 } : { why: `${argv0}: command not found`, code: 127 };
}

/** Whether `dir` is an existing directory. */
export function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
