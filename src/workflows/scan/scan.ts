/**
 * Parameter scans in run directories (as jetto_tools' job module): each point of the product (or
 * zip) of the parameters becomes a folder `point_NNN` under the root holding its parameters, its
 * jobspec, its job id, its stdout/stderr and, when the job ends, its status; the job runs there.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { JobExecutor } from '../../executor/executor.js';
import type { JobFuture } from '../../executor/future.js';
import { Jobspec, type FromCommandOptions } from '../../jobspec/index.js';
import { substitutePlaceholders } from '../../jobspec/placeholders.js';
import { errorText, InvalidArgumentError } from '../../util/errors.js';
import { jobEndRecord, settledResult, writeFileAtomic, writeJobIdFile } from '../files.js';
import { POINT_FILES, SCAN_FILE } from './files.js';
import { isPointName, pointName, scanPoints, type ScanPointParams, type ScanValue } from './points.js';
import { loadRun, type ScanRun } from './runs.js';

/** The job options every point shares (its folder sets `cwd`, `output`, `error` and `name`). */
export type ScanJobOptions = Omit<FromCommandOptions, 'cwd' | 'output' | 'error' | 'name' | 'input'>;

/** Options of {@link scan}. */
export interface ScanOptions {
  /** The scan's folder: created if missing; it must not hold a scan already. */
  readonly root: string;
  /** Each parameter's values; `{NAME}` in `command` becomes the point's value of NAME. */
  readonly params: Readonly<Record<string, readonly ScanValue[]>>;
  /** Element-wise instead of the cartesian product (every list the same length). Default false. */
  readonly zip?: boolean;
  /** The command each point runs, with `{NAME}` placeholders (see {@link substitutePlaceholders}). */
  readonly command: readonly string[];
  /** Shape, duration, environment… of every point's job. */
  readonly job?: ScanJobOptions;
  /** Cancels every point's job when aborted. */
  readonly signal?: AbortSignal;
}

/** One point of a running scan. */
export interface ScanPoint {
  /** Its folder name, `point_000`… */
  readonly name: string;
  /** Its folder (absolute). */
  readonly dir: string;
  /** Its parameters. */
  readonly params: ScanPointParams;
  /** Its job. */
  readonly future: JobFuture;
  /**
   * Resolves once the job ended and its status file is written, to the point as rebuilt from its
   * files ({@link loadRun}). Never rejects: a job that got no id is an UNKNOWN run with `error`.
   */
  readonly ended: Promise<ScanRun>;
}

/** What a scan records in its root's `scan.json`. */
export interface ScanDescription {
  /** Each parameter's values. */
  readonly params: Readonly<Record<string, readonly ScanValue[]>>;
  /** Element-wise rather than the product. */
  readonly zip: boolean;
  /** The command, placeholders unsubstituted. */
  readonly command: readonly string[];
  /** How many points. */
  readonly points: number;
}

/** One planned point: its folder, parameters and jobspec. */
export interface PlannedPoint {
  /** Its folder name. */
  readonly name: string;
  /** Its folder (absolute). */
  readonly dir: string;
  /** Its parameters. */
  readonly params: ScanPointParams;
  /** Its job, `{NAME}` substituted, running in its folder. */
  readonly spec: Jobspec;
}

/**
 * Checks a scan and builds every point's jobspec, writing nothing (what {@link scan} does first).
 *
 * @throws {@link InvalidArgumentError} as {@link scan}.
 */
export function planScan(options: Omit<ScanOptions, 'signal'>): { readonly root: string; readonly points: readonly PlannedPoint[] } {
  const root = resolve(options.root);
  if (options.command.length === 0) throw new InvalidArgumentError('command', 'a scan needs a command');
  const points = scanPoints(options.params, options.zip ?? false);
  if (existsSync(root) && (existsSync(join(root, SCAN_FILE)) || readdirSync(root).some(isPointName))) {
    throw new InvalidArgumentError('root', `${root} already holds a scan (${SCAN_FILE} or point_* folders): give a new folder`);
  }
  return {
    root,
    points: points.map((params, i) => {
      const name = pointName(i, points.length);
      const dir = join(root, name);
      const values = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)]));
      const spec = Jobspec.fromCommand(substitutePlaceholders(options.command, values), {
        ...options.job,
        cwd: dir,
        name,
        output: join(dir, POINT_FILES.stdout),
        error: join(dir, POINT_FILES.stderr),
      });
      return { name, dir, params, spec };
    }),
  };
}

/**
 * Runs a parameter scan on an executor: writes every point's folder (parameters, jobspec), then
 * submits each point's job (cwd: its folder; stdout/stderr: `stdout.txt`/`stderr.txt` there) and
 * records its id; when a job ends its `status.json` is written. Rebuild the points from the files
 * alone with {@link loadRuns}, without the executor or its store.
 *
 * ```ts
 * const points = scan(ex, { root: 'runs', params: { seed: [1, 2], size: ['s', 'l'] }, command: ['./sim', '--seed', '{seed}', '{size}'] });
 * const runs = await Promise.all(points.map((p) => p.ended));   // [{ name: 'point_000', status: 'SUCCESSFUL', … }, …]
 * ```
 *
 * @throws {@link InvalidArgumentError} before anything is written or submitted: bad parameters
 *   (`params.NAME`, `zip`), an empty command (`command`), a root that already holds a scan
 *   (`root`), or job options the jobspec refuses.
 */
export function scan(ex: JobExecutor, options: ScanOptions): ScanPoint[] {
  const { root, points: planned } = planScan(options);
  mkdirSync(root, { recursive: true });
  for (const p of planned) {
    mkdirSync(p.dir);
    writeFileAtomic(join(p.dir, POINT_FILES.params), JSON.stringify(p.params, null, 2) + '\n');
    writeFileAtomic(join(p.dir, POINT_FILES.jobspec), JSON.stringify(p.spec.toJSON(), null, 2) + '\n');
  }
  const description: ScanDescription = { params: options.params, zip: options.zip ?? false, command: options.command, points: planned.length };
  writeFileAtomic(join(root, SCAN_FILE), JSON.stringify(description, null, 2) + '\n');

  return planned.map((p): ScanPoint => {
    const future = ex.submit(p.spec, { ...(options.signal && { signal: options.signal }) });
    if (future.id !== undefined) writeJobIdFile(p.dir, future.id);
    const ended = settledResult(future).then(
      (result) => {
        writeFileAtomic(join(p.dir, POINT_FILES.status), JSON.stringify(jobEndRecord(result), null, 2) + '\n');
        return loadRun(p.dir);
      },
      (error: unknown) => {
        writeFileAtomic(join(p.dir, POINT_FILES.error), errorText(error) + '\n');
        return loadRun(p.dir);
      },
    );
    return { name: p.name, dir: p.dir, params: p.params, future, ended };
  });
}
