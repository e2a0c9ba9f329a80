/**
 * Parsers of Grid Engine command output (`qsub -terse`, `qstat -xml`, `qstat -j -xml`, `qacct -j`,
 * `qdel`/`qrls`/`qhold` replies) and of accounting file records. Pure functions, tested on
 * output captured from SGE 8.1.9 (`test/sge/fixtures`).
 *
 * @module
 */
import { expandIndexRange } from '../batch/index.js';
import { childText, findAll, parseXml } from './xml.js';

/** What `qsub -terse` printed: the job id and, for an array (`-t`), its task range. */
export interface QsubResult {
  /** SGE's job number, e.g. `'12'`. */
  readonly jobId: string;
  /** The task range of an array job (`12.1-5:1`), absent for a plain job. */
  readonly tasks?: { readonly first: number; readonly last: number; readonly step: number };
}

/**
 * Parses `qsub -terse` output: `<id>` for a job, `<id>.<first>-<last>:<step>` for an array, on
 * the last non-empty line (qsub may print warnings before it). `undefined` if there is no id.
 *
 * @example parseQsubTerse('3.1-5:1\n') → { jobId: '3', tasks: { first: 1, last: 5, step: 1 } }
 */
export function parseQsubTerse(stdout: string): QsubResult | undefined {
  const lines = stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const m = /^(\d+)(?:\.(\d+)-(\d+):(\d+))?$/.exec(lines[lines.length - 1] ?? '');
  if (!m) return undefined;
  if (m[2] === undefined) return { jobId: m[1]! };
  return { jobId: m[1]!, tasks: { first: Number(m[2]), last: Number(m[3]), step: Number(m[4]) } };
}

/**
 * The decisive line of a failed `qsub`'s stderr: its last non-empty line, without the `Exiting.`
 * line Grid Engine's clients end an error with (it would hide the reason).
 *
 * @example qsubErrorLine('Unable to run job: ... unknown queue "q"\nExiting.\n') → 'Unable to run job: ... unknown queue "q"'
 */
export function qsubErrorLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  while (lines.length > 1 && /^exiting\.?$/i.test(lines[lines.length - 1]!)) lines.pop();
  return lines[lines.length - 1] ?? '';
}

/** One `<job_list>` of `qstat -xml`: a job, one array task, or a line of pending array tasks. */
export interface QstatRow {
  /** SGE's job number. */
  readonly jobId: string;
  /**
   * The array task numbers this row stands for: one for a started task, several for pending
   * tasks (`3-5:1`, `1,4`); empty for a job that is not an array.
   */
  readonly taskIds: readonly number[];
  /** State letters as qstat prints them, e.g. `r`, `qw`, `hqw`, `Eqw`, `dr`, `Rq`. */
  readonly state: string;
  /** `running` (the row was under `queue_info`) or `pending` (under `job_info`), as qstat says. */
  readonly listState: string;
  /** Job name, entity-decoded. */
  readonly name: string;
  /** Slots the job asked for or holds. */
  readonly slots: number | undefined;
  /** Queue instance a started job runs in (`all.q@vm`), `''` for a pending job. */
  readonly queue: string;
}

/**
 * Parses `qstat -xml` (any of its groupings: `queue_info`/`job_info`, or per queue with `-f`).
 * Job lists without a numeric job number or a state are skipped and counted, never thrown on.
 */
export function parseQstatXml(xml: string): { rows: QstatRow[]; skipped: number } {
  const rows: QstatRow[] = [];
  let skipped = 0;
  for (const el of findAll(parseXml(xml), 'job_list')) {
    const jobId = childText(el, 'JB_job_number') ?? '';
    const state = childText(el, 'state') ?? '';
    if (!/^\d+$/.test(jobId) || state === '') {
      skipped++;
      continue;
    }
    const tasks = childText(el, 'tasks');
    const slots = childText(el, 'slots');
    rows.push({
      jobId,
      taskIds: tasks === undefined || tasks === '' ? [] : expandTaskRange(tasks),
      state,
      listState: el.attributes.state ?? '',
      name: childText(el, 'JB_name') ?? '',
      slots: slots !== undefined && /^\d+$/.test(slots) ? Number(slots) : undefined,
      queue: childText(el, 'queue_name') ?? '',
    });
  }
  return { rows, skipped };
}

/**
 * Expands an SGE task list: `7`, `1-5:1`, `2-10:3`, `1,4`, or combinations (`1-3:1,7`).
 * Returns `[]` for anything malformed.
 */
export function expandTaskRange(expr: string): number[] {
  return expandIndexRange(expr);
}

/**
 * The keys under which a row is found: `<job>` always, and `<job>.<task>` for each array task it
 * stands for (the native ids a backend would use for array members).
 */
export function qstatRowKeys(row: QstatRow): string[] {
  return [row.jobId, ...row.taskIds.map((t) => `${row.jobId}.${t}`)];
}

/** What `qstat -j IDS -xml` says about one job. */
export interface QstatJobDetail {
  readonly jobId: string;
  /** Job name. */
  readonly name: string;
  /** Jobs it waits for (`-hold_jid`) that are still known to qmaster. */
  readonly predecessors: readonly string[];
  /**
   * Messages per task, e.g. the error reason of an `Eqw` task (`... can't chdir to /x: No such
   * file or directory`). Task number 1 for a job that is not an array.
   */
  readonly messages: readonly { readonly taskId: number; readonly message: string }[];
}

/**
 * Parses `qstat -j IDS -xml`: the jobs it knows and, in `unknown`, the ids it does not
 * (`<unknown_jobs>`; qstat then still exits 0).
 */
export function parseQstatJobXml(xml: string): { jobs: QstatJobDetail[]; unknown: string[] } {
  const doc = parseXml(xml);
  const jobs: QstatJobDetail[] = [];
  for (const info of findAll(doc, 'djob_info')) {
    for (const el of info.children) {
      const jobId = childText(el, 'JB_job_number') ?? '';
      if (!/^\d+$/.test(jobId)) continue;
      const predecessors = findAll(el, 'JB_jid_predecessor_list')
        .flatMap((l) => findAll(l, 'JRE_job_number'))
        .map((e) => e.text.trim())
        .filter((t) => /^\d+$/.test(t));
      const messages: { taskId: number; message: string }[] = [];
      for (const tasks of el.children.filter((c) => c.name === 'JB_ja_tasks')) {
        for (const task of tasks.children) {
          const taskId = Number(childText(task, 'JAT_task_number') ?? '1');
          for (const m of findAll(task, 'QIM_message')) messages.push({ taskId, message: m.text.trim() });
        }
      }
      jobs.push({ jobId, name: childText(el, 'JB_job_name') ?? '', predecessors, messages });
    }
  }
  const unknown = findAll(doc, 'unknown_jobs').flatMap((u) => findAll(u, 'ST_name').map((e) => e.text.trim()));
  return { jobs, unknown };
}

/** One accounting record: a finished run of a job or of one array task. */
export interface AccountingRecord {
  readonly jobId: string;
  /** Array task number; `undefined` for a job that is not an array. */
  readonly taskId: number | undefined;
  /** Job name (cannot hold `:`). */
  readonly jobName: string;
  /** SGE's failure code: 0 none, 100 ended by a signal (or `qdel`), 37 `h_rt` exceeded, ... */
  readonly failed: number;
  /** qacct's words for `failed` (`assumedly after job`); `''` from the accounting file. */
  readonly failedReason: string;
  /** The job script's exit status as SGE reports it: the exit code, or 128 + signal. */
  readonly exitStatus: number;
  /**
   * The signal that ended the job script, when SGE says it was one (`failed` 100 or 37 and
   * `exit_status` above 128), else `undefined`. An `exit 137` by the script itself is not one.
   */
  readonly signal: number | undefined;
  /** Start and end, seconds since the epoch; 0 when the job never started. */
  readonly startTime: number;
  readonly endTime: number;
  /** Slots granted. */
  readonly slots: number;
}

/** SGE `failed` codes the backend must tell apart. */
export const SGE_FAILED = {
  /** Ran and ended on its own. */
  NONE: 0,
  /** `exit 99` (requeue), or an execd restart. */
  RESCHEDULING: 25,
  /** Output, error or input file could not be opened (job goes to `Eqw`). */
  OPENING_OUTPUT: 26,
  /** Working directory missing (job goes to `Eqw`). */
  CHANGING_DIRECTORY: 28,
  /** `exit 100`: the job goes to `Eqw`. */
  APPLICATION_ERROR: 30,
  /** qmaster killed it at `h_rt` (or `h_cpu`, `h_vmem`). */
  LIMIT_ENFORCED: 37,
  /** Ended by a signal (kill, `qdel`): "assumedly after job". */
  AFTER_JOB: 100,
} as const;

function signalOf(failed: number, exitStatus: number): number | undefined {
  if (failed !== SGE_FAILED.AFTER_JOB && failed !== SGE_FAILED.LIMIT_ENFORCED) return undefined;
  return exitStatus > 128 && exitStatus < 128 + 65 ? exitStatus - 128 : undefined;
}

/**
 * Parses `qacct -j ID [-t N]` output into its records (`====` separated blocks), in the order
 * qacct prints them (the accounting file's: a requeued job's last run is last). Blocks without a
 * job number are skipped.
 */
export function parseQacct(stdout: string): AccountingRecord[] {
  const out: AccountingRecord[] = [];
  for (const block of stdout.split(/^=+\s*$/m)) {
    const f = new Map<string, string>();
    for (const line of block.split('\n')) {
      const m = /^(\S+)\s+(.*)$/.exec(line);
      if (m) f.set(m[1]!, m[2]!.trim());
    }
    const jobId = f.get('jobnumber') ?? '';
    if (!/^\d+$/.test(jobId)) continue;
    const fm = /^(\d+)\s*(?::\s*(.*))?$/.exec(f.get('failed') ?? '');
    const failed = fm ? Number(fm[1]) : NaN;
    const exitStatus = Number(/^\d+/.exec(f.get('exit_status') ?? '')?.[0] ?? NaN);
    if (!Number.isInteger(failed) || !Number.isInteger(exitStatus)) continue;
    const task = f.get('taskid') ?? '';
    out.push({
      jobId,
      taskId: /^\d+$/.test(task) ? Number(task) : undefined,
      jobName: f.get('jobname') ?? '',
      failed,
      failedReason: fm?.[2]?.trim() ?? '',
      exitStatus,
      signal: signalOf(failed, exitStatus),
      startTime: qacctTime(f.get('start_time')),
      endTime: qacctTime(f.get('end_time')),
      slots: Number(f.get('slots') ?? 1) || 1,
    });
  }
  return out;
}

/** qacct prints times as `Tue Dec  1 23:20:01 2026` (local time) or `-/-` when not set. */
function qacctTime(s: string | undefined): number {
  if (s === undefined) return 0;
  const t = Date.parse(s.replace(/\s+/g, ' '));
  return Number.isFinite(t) ? Math.floor(t / 1000) : 0;
}

/** Fields of the accounting file (accounting(5)), 0-based. */
const ACCT = { jobName: 4, jobId: 5, startTime: 9, endTime: 10, failed: 11, exitStatus: 12, slots: 34, taskId: 35 } as const;
/** SGE 8.1.9 writes 45 fields; older versions fewer, but never fewer than up to `task_number`. */
const ACCT_MIN_FIELDS = ACCT.taskId + 1;

/**
 * Parses one line of `$SGE_ROOT/$SGE_CELL/common/accounting` (colon-separated, accounting(5)).
 * `undefined` for comments, blank or malformed lines. Fields after `task_number` (the category
 * may hold colons) are not read.
 */
export function parseAccountingLine(line: string): AccountingRecord | undefined {
  if (line.startsWith('#') || line.trim() === '') return undefined;
  const f = line.replace(/\r?\n$/, '').split(':');
  if (f.length < ACCT_MIN_FIELDS) return undefined;
  const num = (i: number) => (/^\d+$/.test(f[i]!) ? Number(f[i]) : NaN);
  const jobId = f[ACCT.jobId]!;
  const failed = num(ACCT.failed);
  const exitStatus = num(ACCT.exitStatus);
  const task = num(ACCT.taskId);
  if (!/^\d+$/.test(jobId) || Number.isNaN(failed) || Number.isNaN(exitStatus) || Number.isNaN(task)) return undefined;
  return {
    jobId,
    // task_number 0 is "not an array"; qacct prints it as "undefined".
    taskId: task === 0 ? undefined : task,
    jobName: f[ACCT.jobName]!,
    failed,
    failedReason: '',
    exitStatus,
    signal: signalOf(failed, exitStatus),
    startTime: num(ACCT.startTime) || 0,
    endTime: num(ACCT.endTime) || 0,
    slots: num(ACCT.slots) || 1,
  };
}

/** Parses the accounting file's text (or a tail of it) into its records, in file order. */
export function parseAccountingFile(text: string): AccountingRecord[] {
  const out: AccountingRecord[] = [];
  for (const line of text.split('\n')) {
    const r = parseAccountingLine(line);
    if (r) out.push(r);
  }
  return out;
}

/** What `qdel`, `qrls`, `qhold` said about one job or task. */
export interface JobCommandReply {
  readonly jobId: string;
  /** Task number when the line names an array task (`10.1`). */
  readonly taskId: number | undefined;
  /**
   * `deleted` (gone), `deleting` (running: "registered ... for deletion"), `modified` (hold
   * changed), `suspended` / `unsuspended`, `unknown` (`denied: job "9" does not exist`).
   */
  readonly outcome: 'deleted' | 'deleting' | 'modified' | 'suspended' | 'unsuspended' | 'unknown';
  readonly line: string;
}

const REPLIES: readonly [RegExp, JobCommandReply['outcome']][] = [
  [/ has deleted job(?:-array task)? (\d+)(?:\.(\d+))?$/, 'deleted'],
  [/ has registered the job(?:-array task)? (\d+)(?:\.(\d+))? for deletion$/, 'deleting'],
  [/^modified hold of job(?:-array task)? (\d+)(?:\.(\d+))?$/, 'modified'],
  [/ - suspended job(?:-array task)? (\d+)(?:\.(\d+))?$/, 'suspended'],
  [/ - unsuspended job(?:-array task)? (\d+)(?:\.(\d+))?$/, 'unsuspended'],
  [/^denied: job "(\d+)(?:\.(\d+))?" does not exist$/, 'unknown'],
];

/**
 * Parses the replies of `qdel`, `qrls`, `qhold`, `qmod -sj` (one line per job or task, on
 * stdout, also for errors; the exit code is 1 when any id was unknown even though the others
 * were done). Lines it does not recognise (e.g. qmaster unreachable) are returned in `other`.
 */
export function parseJobCommandReplies(stdout: string): { replies: JobCommandReply[]; other: string[] } {
  const replies: JobCommandReply[] = [];
  const other: string[] = [];
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    let hit: JobCommandReply | undefined;
    for (const [re, outcome] of REPLIES) {
      const m = re.exec(line);
      if (m) {
        hit = { jobId: m[1]!, taskId: m[2] === undefined ? undefined : Number(m[2]), outcome, line };
        break;
      }
    }
    if (hit) replies.push(hit);
    else other.push(line);
  }
  return { replies, other };
}

/**
 * Whether a Grid Engine client's stderr/stdout says qmaster could not be reached (so the
 * command certainly did nothing and may be retried).
 */
export function isQmasterUnreachable(text: string): boolean {
  return /unable to (?:send message to|contact) qmaster|commlib error|can't (?:connect|find) qmaster|unable to get qmaster/i.test(text);
}

export { parseStatusFile, type StatusFile } from '../batch/index.js';
