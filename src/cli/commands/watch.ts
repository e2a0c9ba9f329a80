/**
 * `jobf watch`: the inbox watcher (from Odyssey's `job_manager`), see `workflows/watch`.
 * `--setup` creates the root's folders; otherwise it watches until Ctrl-C.
 */
import { availableParallelism } from 'node:os';

import { UsageError, positiveInt, type CommandSpec, type ParsedArgs } from '../shared/args.js';
import type { CommandContext } from '../shared/context.js';
import { spawnerFrom } from '../shared/executors.js';
import { watchEventPrinter } from '../shared/watch-lines.js';

/** The command's spec. */
export const spec: CommandSpec = {
  name: 'watch',
  summary: 'submit the folders dropped into ROOT/inbox (each with a job.sh) in alphabetical order, filing them in pending/ then complete/',
  synopsis: '',
  operands: 'none',
  options: [
    { name: 'root', value: 'DIR', help: 'the folder holding inbox/, pending/ and complete/ (its jobs are kept in DIR/.jobf/jobs.db)' },
    { name: 'setup', help: 'create inbox/, pending/ and complete/ in --root and exit' },
    { name: 'period', value: 'SECONDS', help: 'time between two looks at the inbox (default 5)' },
    { name: 'parallel', value: 'N', help: 'at most N jobs at once (default: the number of CPUs)' },
    { name: 'exit-when-idle', help: 'exit once the inbox holds nothing to submit and no job runs (exit code 1 if a job it filed did not complete)' },
  ],
};

/** Runs `jobf watch`. */
export async function run(ctx: CommandContext, args: ParsedArgs): Promise<number> {
  const root = args.value('root');
  if (root === undefined || root === '') throw new UsageError('"jobf watch" needs --root DIR');
  const { resolve } = await import('node:path');
  const rootPath = resolve(ctx.cwd, root);
  const { setupWatchRoot, watchInbox } = await import('../../workflows/watch/index.js');
  if (args.flag('setup')) {
    const paths = setupWatchRoot(rootPath);
    ctx.io.out(ctx.json ? JSON.stringify({ root: paths.root, inbox: paths.inbox, pending: paths.pending, complete: paths.complete }) + '\n' : `set up ${paths.root}: inbox/ pending/ complete/\n`);
    return 0;
  }
  const periodText = args.value('period');
  const period = periodText === undefined ? 5 : Number(periodText);
  if (periodText !== undefined && (!/^[0-9]*\.?[0-9]+$/.test(periodText) || !(period > 0))) throw new UsageError(`--period needs a positive number of seconds, got "${periodText}"`);
  const parallel = args.value('parallel') === undefined ? availableParallelism() : positiveInt('--parallel', args.value('parallel')!);
  const summary = await watchInbox({
    root: rootPath,
    backend: ctx.backend,
    backendOptions: { spawner: spawnerFrom(ctx.env) },
    period,
    parallel,
    exitWhenIdle: args.flag('exit-when-idle'),
    signal: ctx.signal,
    onEvent: watchEventPrinter(ctx.io, ctx.json),
  });
  return summary.failed > 0 && args.flag('exit-when-idle') ? 1 : 0;
}
