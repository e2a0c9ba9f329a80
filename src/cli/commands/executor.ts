/**
 * `jobf execute`, `jobf wait` and `jobf stop`: parsed and checked here, run by the executor's
 * functions in {@link CliHooks}.
 */
import { availableParallelism } from 'node:os';

import { positiveInt, type CommandSpec, type ParsedArgs } from '../shared/args.js';
import { parseIds, requireJobs, type CommandContext } from '../shared/context.js';

/** `jobf execute`. */
export const executeSpec: CommandSpec = {
  name: 'execute',
  summary: 'run the queued local jobs (all, or the given ones), honouring dependencies; Ctrl-C requeues running jobs',
  synopsis: '[ID...]',
  operands: 'ids',
  options: [{ name: 'parallel', value: 'N', help: 'run at most N jobs at once (default: the number of CPUs)' }],
};

/** `jobf wait`. */
export const waitSpec: CommandSpec = {
  name: 'wait',
  summary: 'wait until jobs (all active ones by default) end; exit code 1 if any did not complete',
  synopsis: '[ID...]',
  operands: 'ids',
  options: [],
};

/** `jobf stop`. */
export const stopSpec: CommandSpec = {
  name: 'stop',
  summary: 'cancel jobs (all active ones by default) and print the ids of those it stopped',
  synopsis: '[ID...]',
  operands: 'ids',
  options: [],
};

/** Checks id operands against the store (read-only). Without operands the store need not exist. */
function knownIds(ctx: CommandContext, args: ParsedArgs): ReturnType<typeof parseIds> {
  const ids = parseIds(args.operands);
  if (ids.length === 0) return ids;
  const store = ctx.openStore('read');
  try {
    requireJobs(store, ids);
  } finally {
    store.close();
  }
  return ids;
}

/** Runs `jobf execute`. */
export async function runExecute(ctx: CommandContext, args: ParsedArgs): Promise<number> {
  const parallel = args.value('parallel') === undefined ? availableParallelism() : positiveInt('--parallel', args.value('parallel')!);
  const ids = knownIds(ctx, args);
  return ctx.hooks.execute(ctx, { parallel, ids });
}

/** Runs `jobf wait`. */
export async function runWait(ctx: CommandContext, args: ParsedArgs): Promise<number> {
  const ids = knownIds(ctx, args);
  return ctx.hooks.wait(ctx, { ids });
}

/** Runs `jobf stop`. */
export async function runStop(ctx: CommandContext, args: ParsedArgs): Promise<number> {
  const ids = knownIds(ctx, args);
  return ctx.hooks.stop(ctx, { ids, print: true });
}
