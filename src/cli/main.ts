#!/usr/bin/env node
/**
 * The `jobf` bin. See run.ts for what it does and its exit codes.
 */
import { runCli } from './run.js';

const controller = new AbortController();
let interrupted = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // First signal: let the command wind down (e.g. requeue running jobs); second: give up.
    if (++interrupted > 1) process.exit(130);
    controller.abort();
  });
}
// `jobf list | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

const code = await runCli(process.argv.slice(2), { signal: controller.signal });
// A command that stopped early because of Ctrl-C reports it the conventional way.
process.exitCode = interrupted > 0 && code === 0 ? 130 : code;
