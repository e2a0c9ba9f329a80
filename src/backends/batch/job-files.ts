/**
 * Where a batch job's files live in the backend's log folder (by default
 * `~/.jobfutures/<backend>`): its script, status file, start marker, `{{tmpdir}}` folder and
 * default outputs, all named after the job's F58 id. The log folder must be shared between the
 * submitting host and the compute nodes.
 *
 * @module
 */
import { homedir } from 'node:os';
import path from 'node:path';

/**
 * The default log folder of the backend `backend` (its scripts and status files):
 * `~/.jobfutures/<backend>`, e.g. `~/.jobfutures/slurm`.
 */
export function defaultLogDir(backend: string): string {
  return path.join(homedir(), '.jobfutures', backend);
}

/** `dir` without trailing slashes (`/` stays `/`). */
export function trimSlash(dir: string): string {
  return dir.length > 1 ? dir.replace(/\/+$/, '') : dir;
}

/** Status file of a job: `<logDir>/<f58>.status` (see `status-file.ts`). */
export function statusPath(logDir: string, f58: string): string {
  return `${trimSlash(logDir)}/${f58}.status`;
}

/** Marker the script creates once the job's command runs: `<logDir>/<f58>.status.started`. */
export function startedPath(logDir: string, f58: string): string {
  return startedMarker(statusPath(logDir, f58));
}

/** The start marker of the status file `statusFile`: `<statusFile>.started`. */
export function startedMarker(statusFile: string): string {
  return `${statusFile}.started`;
}

/** Files folder of a job, substituted for `{{tmpdir}}`: `<logDir>/<f58>.d` (as the local backend). */
export function tmpdirPath(logDir: string, f58: string): string {
  return `${trimSlash(logDir)}/${f58}.d`;
}

/**
 * Path of the generated script of a submission, named after its first job:
 * `<logDir>/<f58><suffix>` (Slurm: `.sbatch`).
 */
export function scriptPath(logDir: string, f58: string, suffix: string): string {
  return `${trimSlash(logDir)}/${f58}${suffix}`;
}

/** Default stdout and stderr templates of a job without its own: `<logDir>/{{id}}.out`, `.err`. */
export function defaultOutputTemplates(logDir: string): { stdout: string; stderr: string } {
  const dir = trimSlash(logDir);
  return { stdout: `${dir}/{{id}}.out`, stderr: `${dir}/{{id}}.err` };
}

/**
 * Task body file of a coalesced array (see `coalesced-script.ts`), named after the first job
 * that runs it: `<logDir>/<f58>.task`.
 */
export function taskBodyPath(logDir: string, f58: string): string {
  return `${trimSlash(logDir)}/${f58}.task`;
}
