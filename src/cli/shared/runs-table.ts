/** How `jobf runs` and `jobf scan` show a scan's points. */
import type { ScanRun } from '../../workflows/scan/runs.js';
import { renderTable } from './format.js';

/** A point as JSON: `{ name, dir, jobid, status, result, returncode, params }` (null where unknown). */
export function runJSON(r: ScanRun): Record<string, unknown> {
  return {
    name: r.name,
    dir: r.dir,
    jobid: r.jobid?.f58 ?? null,
    status: r.status,
    result: r.result ?? null,
    returncode: r.returncode ?? null,
    params: r.params,
    ...(r.error !== undefined && { error: r.error }),
  };
}

/** The points as a table: point, job id, status, result, exit code, parameters. */
export function runsTable(runs: readonly ScanRun[], color: boolean): string {
  return renderTable(
    ['POINT', 'ID', 'STATUS', 'RESULT', 'EXIT', 'PARAMS'],
    runs.map((r) => [
      r.name,
      r.jobid?.f58 ?? '-',
      r.status,
      r.result ?? '-',
      r.returncode === undefined ? '-' : String(r.returncode),
      Object.entries(r.params)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' '),
    ]),
    { paintColumns: color ? [3] : [] },
  );
}
