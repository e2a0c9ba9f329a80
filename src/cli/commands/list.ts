/**
 * `jobf list`: the jobs in the store, as a table or JSON.
 */
import { backendPlugin } from '../../backends/registry.js';
import type { JobID } from '../../ids/index.js';
import type { JobRecord, JobStore } from '../../store/index.js';
import { FILTER_OPTIONS, filterFrom, parseIds, selectJobs, type CommandContext } from '../shared/context.js';
import type { CommandSpec, ParsedArgs } from '../shared/args.js';
import {
  commandOf,
  dependenciesText,
  formatAge,
  jobJSON,
  renderTable,
  resultText,
  shellQuote,
  stateText,
  waitingOnDependencies,
} from '../shared/format.js';
import { epochSeconds } from '../../util/time.js';

/** The command's spec. */
export const spec: CommandSpec = {
  name: 'list',
  summary: 'list jobs: id, name, array index, state, result, exit code, age, dependencies, command',
  synopsis: '[ID...]',
  operands: 'ids',
  options: [...FILTER_OPTIONS],
};

/** The jobs of `recs` queued behind dependencies that are not done (shown as DEPEND). */
export function waitingIn(store: JobStore, recs: readonly JobRecord[]): Set<bigint> {
  return waitingOnDependencies(
    recs,
    (backend) => !backendPlugin(backend).submitsAtOnce,
    (ids: readonly JobID[]) => new Map(ids.length === 0 ? [] : store.list({ ids }).map((r) => [r.jobid.value, r.state])),
  );
}

/** Runs `jobf list`. */
export async function run(ctx: CommandContext, args: ParsedArgs): Promise<number> {
  const ids = parseIds(args.operands);
  const filter = filterFrom(args, ids);
  const store = ctx.openStore('read');
  try {
    const { jobs, waiting } = store.snapshot(() => {
      const jobs = selectJobs(store, filter, ids);
      return { jobs, waiting: waitingIn(store, jobs) };
    });
    if (ctx.json) {
      ctx.io.out(JSON.stringify(jobs.map(jobJSON), null, 2) + '\n');
      return 0;
    }
    const now = epochSeconds();
    const rows = jobs.map((rec) => {
      const { result, exit } = resultText(rec);
      return [
        rec.jobid.f58,
        rec.name,
        rec.arrayIndex === undefined ? '-' : String(rec.arrayIndex),
        stateText(rec, waiting.has(rec.jobid.value)),
        result,
        exit,
        formatAge(now - rec.submittedAt),
        dependenciesText(rec),
        shellQuote(commandOf(rec.spec)),
      ];
    });
    ctx.io.out(
      renderTable(['ID', 'NAME', 'INDEX', 'STATE', 'RESULT', 'EXIT', 'AGE', 'AFTER', 'COMMAND'], rows, {
        align: ['left', 'left', 'right', 'left', 'left', 'right', 'right', 'left', 'left'],
        ...(ctx.io.isTTY && ctx.io.columns ? { maxWidth: ctx.io.columns } : {}),
        ...(ctx.io.color ? { paintColumns: [3, 4] } : {}),
      }),
    );
    return 0;
  } finally {
    store.close();
  }
}
