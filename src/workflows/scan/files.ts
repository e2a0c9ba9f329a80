/** The files of a scan: one folder per point under the scan's root. */
import { JOB_ID_FILE } from '../files.js';

/** In the root: the scan as a whole (parameters, zip, command). */
export const SCAN_FILE = 'scan.json';

/** The files in each point's folder. */
export const POINT_FILES = {
  /** Its parameters (JSON object). */
  params: 'params.json',
  /** Its jobspec (JSON). */
  jobspec: 'jobspec.json',
  /** Its job id (F58), written once the job was submitted. */
  jobid: JOB_ID_FILE,
  /** The job's standard output. */
  stdout: 'stdout.txt',
  /** The job's standard error. */
  stderr: 'stderr.txt',
  /** How it ended ({@link JobEndRecord}, JSON), written when the job ends. */
  status: 'status.json',
  /** Why the job could not be submitted (it got no id), when that happened. */
  error: 'error.txt',
} as const;
