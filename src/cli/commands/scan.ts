/**
 * `jobf scan`: a parameter scan in run directories (from jetto_tools), see `workflows/scan`.
 * Every point's job runs with this process as its owner, on the store; it prints a line per point
 * as it ends and waits for them all.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';

import { InvalidArgumentError } from '../../util/errors.js';
import { UsageError, positiveInt, type CommandSpec, type ParsedArgs } from '../shared/args.js';
import type { CommandContext } from '../shared/context.js';
import { storeExecutor } from '../shared/executors.js';
import { paint } from '../shared/format.js';
import { runJSON } from '../shared/runs-table.js';

/** The command's spec. */
export const spec: CommandSpec = {
  name: 'scan',
  summary: 'run CMD once per point of the parameters\' product (or --zip) in DIR/point_000, point_001, ... ({NAME} in CMD becomes the value)',
  synopsis: '[--] CMD [ARGS...]',
  operands: 'command',
  options: [
    { name: 'root', value: 'DIR', help: 'the scan\'s folder (created; must not hold a scan already)' },
    { name: 'param', value: 'NAME=V1,V2,...', repeat: true, help: 'a parameter and its values; {NAME} in the command becomes the value' },
    { name: 'zip', help: 'pair the values element-wise (every --param as many values) instead of the product' },
    { name: 'parallel', value: 'N', help: 'local backend: at most N jobs at once (default: the number of CPUs)' },
    { name: 'duration', value: 'TIME', help: 'time limit of each job: seconds or 90s, 10m, 2h, 1d' },
    { name: 'cores', value: 'N', help: 'cores per task (default 1)' },
  ],
};

/** `--param NAME=V1,V2` values, in order. */
function parseParams(values: readonly string[]): Record<string, string[]> {
  if (values.length === 0) throw new UsageError('"jobf scan" needs at least one --param NAME=V1,V2,...');
  const params: Record<string, string[]> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param needs NAME=V1,V2,..., got "${v}"`);
    const name = v.slice(0, eq);
    if (Object.hasOwn(params, name)) throw new UsageError(`--param ${name} is given twice`);
    params[name] = v.slice(eq + 1).split(',');
  }
  return params;
}

/** Runs `jobf scan`. */
export async function run(ctx: CommandContext, args: ParsedArgs): Promise<number> {
  const root = args.value('root');
  if (root === undefined || root === '') throw new UsageError('"jobf scan" needs --root DIR');
  const params = parseParams(args.values('param'));
  const parallel = args.value('parallel') === undefined ? availableParallelism() : positiveInt('--parallel', args.value('parallel')!);
  const cores = args.value('cores') === undefined ? undefined : positiveInt('--cores', args.value('cores')!);
  const duration = args.value('duration');
  const { planScan, scan } = await import('../../workflows/scan/index.js');
  const options = {
    root: resolve(ctx.cwd, root),
    params,
    zip: args.flag('zip'),
    command: args.operands,
    job: { ...(cores !== undefined && { coresPerTask: cores }), ...(duration !== undefined && { duration }) },
    signal: ctx.signal,
  };
  // Checked before the store or any folder is touched: bad input writes nothing.
  try {
    planScan(options);
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new UsageError(`${optionOf(error.argument)}: ${error.message.slice(error.message.indexOf(': ') + 2)}`);
    throw error;
  }
  const store = ctx.openStore('create');
  try {
    const ex = storeExecutor(ctx, store, ctx.backend, { maxCores: parallel });
    let points;
    try {
      points = scan(ex, options);
    } catch (error) {
      await ex.shutdown();
      throw error;
    }
    if (!ctx.json) ctx.io.out(`scan ${resolve(ctx.cwd, root)}: ${points.length} point${points.length === 1 ? '' : 's'}\n`);
    const runs = await Promise.all(
      points.map((p) =>
        p.ended.then((r) => {
          if (!ctx.json) ctx.io.out(`${r.name} ${r.jobid?.f58 ?? '-'} ${paint(r.result ?? r.status, ctx.io.color)}${r.returncode === undefined ? '' : ` exit ${r.returncode}`} ${JSON.stringify(r.params)}\n`);
          return r;
        }),
      ),
    );
    await ex.shutdown();
    if (ctx.json) ctx.io.out(JSON.stringify(runs.map(runJSON)) + '\n');
    return runs.every((r) => r.status === 'SUCCESSFUL') ? 0 : 1;
  } finally {
    store.close();
  }
}

/** The option a scan argument error is about. */
function optionOf(argument: string): string {
  if (argument.startsWith('params.')) return `--param ${argument.slice('params.'.length)}`;
  if (argument === 'zip') return '--zip';
  if (argument === 'root') return '--root';
  if (argument === 'command') return 'the command';
  return argument.replace(/^opts\./, '--');
}
