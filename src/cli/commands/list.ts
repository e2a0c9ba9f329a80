/**
 * `jobf list`: the jobs in the store, as a table or JSON.
 */
import { FILTER_OPTIONS, filterFrom, parseIds, selectJobs, type CommandContext } from '../shared/context.js';
import type { CommandSpec, ParsedArgs } from '../shared/args.js';
import { commandOf, formatAge, jobJSON, renderTable, resultText, shellQuote, stateText } from '../shared/format.js';

/** The command's spec. */
export const spec: CommandSpec = {
  name: 'list',
  summary: 'list jobs: id, name, state, result, exit code, age, command',
  synopsis: '[ID...]',
  operands: 'ids',
  options: [...FILTER_OPTIONS],
};

/** Runs `jobf list`. */
export async function run(ctx: CommandContext, args: ParsedArgs): Promise<number> {
  const ids = parseIds(args.operands);
  const filter = filterFrom(args, ids);
  const store = ctx.openStore('read');
  try {
    const jobs = selectJobs(store, filter, ids);
    if (ctx.json) {
      ctx.io.out(JSON.stringify(jobs.map(jobJSON), null, 2) + '\n');
      return 0;
    }
    const now = Date.now() / 1000;
    const rows = jobs.map((rec) => {
      const { result, exit } = resultText(rec);
      return [rec.jobid.f58, rec.name, stateText(rec), result, exit, formatAge(now - rec.submittedAt), shellQuote(commandOf(rec.spec))];
    });
    ctx.io.out(
      renderTable(['ID', 'NAME', 'STATE', 'RESULT', 'EXIT', 'AGE', 'COMMAND'], rows, {
        align: ['left', 'left', 'left', 'left', 'right', 'right', 'left'],
        ...(ctx.io.isTTY && ctx.io.columns ? { maxWidth: ctx.io.columns } : {}),
      }),
    );
    return 0;
  } finally {
    store.close();
  }
}
