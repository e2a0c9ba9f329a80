/**
 * Parameter scans in run directories (from jetto_tools' job module): {@link scan} on an executor,
 * {@link loadRuns}/{@link loadRun} to rebuild the points from their files alone.
 *
 * @module
 */
export { scan, planScan, type PlannedPoint, type ScanOptions, type ScanPoint, type ScanJobOptions, type ScanDescription } from './scan.js';
export { loadRun, loadRuns, type RunStatus, type ScanRun } from './runs.js';
export { scanPoints, pointName, isPointName, type ScanValue, type ScanPointParams } from './points.js';
export { POINT_FILES, SCAN_FILE } from './files.js';
