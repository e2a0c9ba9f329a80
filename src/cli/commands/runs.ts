/**
 * `jobf runs DIR`: a scan's points rebuilt from their files alone (no store needed), as
 * jetto_tools' `retrieve_jobs(dir)`.
 */
import { resolve } from 'node:path';

import type { CommandSpec, ParsedArgs } from '../shared/args.js';
import type { CommandContext } from '../shared/context.js';
import { runJSON, runsTable } from '../shared/runs-table.js';

/** The command's spec. */
export const spec: CommandSpec = {
  name: 'runs',
  summary: 'show the points of a scan from their files alone: id, SUCCESSFUL/FAILED/UNKNOWN, result, exit code, parameters',
  synopsis: 'DIR',
  operands: 'dir',
  options: [],
};

/** Runs `jobf runs`. */
export async function run(ctx: CommandContext, args: ParsedArgs): Promise<number> {
  const { loadRuns } = await import('../../workflows/scan/runs.js');
  const runs = loadRuns(resolve(ctx.cwd, args.operands[0]!));
  ctx.io.out(ctx.json ? JSON.stringify(runs.map(runJSON)) + '\n' : runsTable(runs, ctx.io.color));
  return 0;
}
