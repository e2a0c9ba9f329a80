/**
 * The table of `jobf` commands: each one's spec (for parsing and help) and the function that runs it.
 */
import type { CommandSpec, ParsedArgs } from '../shared/args.js';
import type { CommandContext } from '../shared/context.js';
import * as del from './delete.js';
import * as events from './events.js';
import * as executor from './executor.js';
import * as list from './list.js';
import * as report from './report.js';
import * as resubmit from './resubmit.js';
import * as runs from './runs.js';
import * as scan from './scan.js';
import * as show from './show.js';
import * as submit from './submit.js';
import * as watch from './watch.js';

/** A command: its spec and how to run it (resolves to the exit code). */
export interface Command {
  readonly spec: CommandSpec;
  readonly run: (ctx: CommandContext, args: ParsedArgs) => Promise<number>;
}

/** Every command, in the order `jobf --help` lists them. */
export const COMMANDS: readonly Command[] = [
  { spec: submit.spec, run: submit.run },
  { spec: list.spec, run: list.run },
  { spec: show.spec, run: show.run },
  { spec: events.spec, run: events.run },
  { spec: report.spec, run: report.run },
  { spec: executor.executeSpec, run: executor.runExecute },
  { spec: executor.waitSpec, run: executor.runWait },
  { spec: executor.stopSpec, run: executor.runStop },
  { spec: resubmit.spec, run: resubmit.run },
  { spec: del.spec, run: del.run },
  { spec: watch.spec, run: watch.run },
  { spec: scan.spec, run: scan.run },
  { spec: runs.spec, run: runs.run },
];
