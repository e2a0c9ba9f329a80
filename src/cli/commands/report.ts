/**
 * `jobf report`: prints the stdout and stderr files of jobs, each under a header.
 */
import { once } from 'node:events';
import { createReadStream, existsSync, readFileSync } from 'node:fs';

import type { JobRecord } from '../../store/index.js';
import { UsageError, type CommandSpec, type ParsedArgs } from '../shared/args.js';
import { FILTER_OPTIONS, filterFrom, parseIds, selectJobs, type CommandContext } from '../shared/context.js';
import { resultText } from '../shared/format.js';

/** The command's spec. */
export const spec: CommandSpec = {
  name: 'report',
  summary: 'print the stdout and stderr of jobs (all jobs by default), each under a header',
  synopsis: '[ID...]',
  operands: 'ids',
  options: [
    { name: 'errors-only', help: 'print only the stderr files' },
    { name: 'output-only', help: 'print only the stdout files' },
    ...FILTER_OPTIONS,
  ],
};

/** One log of a job: which stream(s) and where. */
interface Log {
  readonly label: 'stdout' | 'stderr' | 'stdout+stderr';
  readonly path: string | undefined;
}

function logsOf(rec: JobRecord, out: boolean, err: boolean): Log[] {
  if (rec.stdout !== undefined && rec.stdout === rec.stderr) {
    return out || err ? [{ label: 'stdout+stderr', path: rec.stdout }] : [];
  }
  const logs: Log[] = [];
  if (out) logs.push({ label: 'stdout', path: rec.stdout });
  if (err) logs.push({ label: 'stderr', path: rec.stderr });
  return logs;
}

function header(rec: JobRecord, log: Log): string {
  const { result, exit } = resultText(rec);
  const status = rec.state === 'INACTIVE' ? `${result}, exit code ${exit}` : rec.state;
  return `==> ${rec.jobid.f58} ${rec.name} [${status}] ${log.label}: ${log.path ?? '(none)'} <==\n`;
}

/**
 * What stands for a log file that is not there: why the job wrote nothing (the exception that
 * ended it before its command ran, e.g. `exec: ... command not found` or a failed dependency), or
 * that it has not run yet.
 */
export function missingLogText(rec: JobRecord): string {
  if (rec.exception && rec.result !== 'COMPLETED') return `(no output: ${rec.exception.type}: ${rec.exception.note})`.replace(/: \)$/, ')');
  if (rec.state !== 'INACTIVE' && rec.tRun === undefined) return '(no output yet: the job has not started)';
  return '(no such file)';
}

/**
 * Copies a file to `out`, waiting for `drain` when it is full. (A `pipeline()` per file left
 * listeners on the shared stdout: more than 10 files warned MaxListenersExceededWarning.)
 *
 * @returns The last byte written, if any.
 */
async function copyTo(path: string, out: NodeJS.WritableStream): Promise<number | undefined> {
  let lastByte: number | undefined;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    if (chunk.length === 0) continue;
    lastByte = chunk[chunk.length - 1];
    if (!out.write(chunk)) await once(out, 'drain');
  }
  return lastByte;
}

/** Runs `jobf report`. */
export async function run(ctx: CommandContext, args: ParsedArgs): Promise<number> {
  if (args.flag('errors-only') && args.flag('output-only')) {
    throw new UsageError('--errors-only and --output-only exclude each other');
  }
  const out = !args.flag('errors-only');
  const err = !args.flag('output-only');
  const ids = parseIds(args.operands);
  const filter = filterFrom(args, ids);
  const store = ctx.openStore('read');
  let jobs: JobRecord[];
  try {
    jobs = selectJobs(store, filter, ids);
  } finally {
    store.close();
  }

  if (ctx.json) {
    const read = (path: string | undefined): string | null =>
      path !== undefined && existsSync(path) ? readFileSync(path, 'utf8') : null;
    const report = jobs.map((rec) => ({
      id: rec.jobid.f58,
      name: rec.name,
      state: rec.state,
      result: rec.result ?? null,
      returncode: rec.returncode ?? null,
      exception: rec.exception ? { type: rec.exception.type, note: rec.exception.note } : null,
      logs: logsOf(rec, out, err).map((log) => ({ stream: log.label, path: log.path ?? null, text: read(log.path) })),
    }));
    ctx.io.out(JSON.stringify(report, null, 2) + '\n');
    return 0;
  }

  let first = true;
  for (const rec of jobs) {
    for (const log of logsOf(rec, out, err)) {
      if (!first) ctx.io.out('\n');
      first = false;
      ctx.io.out(header(rec, log));
      if (log.path === undefined || !existsSync(log.path)) {
        ctx.io.out(`${missingLogText(rec)}\n`);
        continue;
      }
      const lastByte = await copyTo(log.path, ctx.io.stdout);
      if (lastByte !== undefined && lastByte !== 0x0a) ctx.io.out('\n');
    }
  }
  return 0;
}
