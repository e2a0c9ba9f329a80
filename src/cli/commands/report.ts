/**
 * `jobf report`: prints the stdout and stderr files of jobs, each under a header.
 */
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';

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
        ctx.io.out('(no such file)\n');
        continue;
      }
      let lastByte: number | undefined;
      const stream = createReadStream(log.path);
      stream.on('data', (chunk: Buffer | string) => {
        if (chunk.length > 0) lastByte = typeof chunk === 'string' ? chunk.charCodeAt(chunk.length - 1) : chunk[chunk.length - 1];
      });
      await pipeline(stream, ctx.io.stdout, { end: false });
      if (lastByte !== undefined && lastByte !== 0x0a) ctx.io.out('\n');
    }
  }
  return 0;
}
