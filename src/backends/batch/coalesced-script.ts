/**
 * {@link renderCoalescedJobScript}: the script of one array whose tasks are different jobs
 * (coalesced submissions: same resource shape, but their own commands, arguments, environments,
 * working directories or output paths), for any queueing scheduler.
 *
 * Every job's body (`renderScriptBody`: redirects, files, cwd, environment, reaper) names its job
 * only through `$__jf_id`, so jobs whose specs agree share one body. When all tasks share one,
 * the result is exactly {@link renderJobScript}'s array (the body inline, nothing else to write).
 * Otherwise each distinct body goes to a task file `<logDir>/<f58>.task` (named after its first
 * job), and the array script's `case` table gives each index its job id and its task file, which
 * the task sources: a task reads its own row and one body, never the other jobs' (a table of
 * 1,000 full environments inline would be megabytes parsed by every task, and past sbatch's
 * script size limit).
 *
 * @module
 */
import { taskBodyPath } from './job-files.js';
import { assembleJobScript, renderScriptBody, type JobScriptInput, type JobScriptOptions, type JobTableRow } from './job-script.js';
import type { SchedulerProfile } from './scheduler-profile.js';

/** A file the coalesced script needs beside it, written before the submission. */
export interface TaskBodyFile {
  /** Absolute path: `<logDir>/<f58>.task`. */
  readonly path: string;
  /** Its text (bash, sourced by the array script). */
  readonly text: string;
}

/** The output of {@link renderCoalescedJobScript}. */
export interface CoalescedJobScript {
  /** The array script (the `i`-th task runs the `i`-th job). */
  readonly script: string;
  /** Task body files to write before submitting; empty when all jobs share one body (inline). */
  readonly taskFiles: readonly TaskBodyFile[];
}

/** One job of a coalesced array: its id and what it runs (share `job` between jobs of one spec: it renders once). */
export interface CoalescedTask {
  /** The job's F58 id. */
  readonly id: string;
  /** What it runs, everything resolved (all tasks must agree on `logDir` and `numTasks`). */
  readonly job: Omit<JobScriptInput, 'ids'>;
}

/**
 * Renders one array script for `tasks`: array index `firstArrayIndex + i` runs `tasks[i]`. One
 * task renders as a plain script.
 *
 * @throws RangeError when `tasks` is empty.
 * @throws {@link InvalidArgumentError} as {@link renderJobScript} does.
 */
export function renderCoalescedJobScript(tasks: readonly CoalescedTask[], profile: SchedulerProfile, options: JobScriptOptions = {}): CoalescedJobScript {
  if (tasks.length === 0) throw new RangeError('renderCoalescedJobScript: no jobs');
  const logDir = tasks[0]!.job.logDir;
  const array = tasks.length > 1;
  // Bodies by text, each named after its first job; a job object shared by several tasks renders once.
  const bodyOf = new Map<object, string>();
  const keyOfBody = new Map<string, string>();
  const rows: JobTableRow[] = [];
  for (const { id, job } of tasks) {
    let body = bodyOf.get(job);
    if (body === undefined) bodyOf.set(job, (body = renderScriptBody(job, profile, options, array)));
    let key = keyOfBody.get(body);
    if (key === undefined) keyOfBody.set(body, (key = id));
    rows.push({ id, body: key });
  }
  if (keyOfBody.size === 1) {
    const [body] = keyOfBody.keys();
    return { script: assembleJobScript(logDir, rows.map(({ id }) => ({ id })), profile, options, body!), taskFiles: [] };
  }
  const source = '. "$__jf_log/$__jf_body.task" || __jf_fail "cannot read $__jf_log/$__jf_body.task"\nexit 127\n';
  const taskFiles = [...keyOfBody].map(([text, key]) => ({ path: taskBodyPath(logDir, key), text: `# jobfutures task body, sourced by the array script that names it. Do not edit.\n${text}` }));
  return { script: assembleJobScript(logDir, rows, profile, options, source), taskFiles };
}
