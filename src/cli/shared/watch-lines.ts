/**
 * How `jobf watch` shows its events: a dot per look at the inbox on a terminal, in rows of 20 (as
 * Odyssey's `job_manager` did), plain lines otherwise, one JSON object a line with `--json`.
 */

/** Heartbeat dots per row on a terminal. */
const DOTS_PER_ROW = 20;
import type { WatchEvent } from '../../workflows/watch/events.js';
import type { CliIO } from './context.js';
import { paint } from './format.js';

/** The text line of an event (no newline), or undefined for the heartbeat. */
export function watchEventLine(e: WatchEvent, color = false): string | undefined {
  switch (e.type) {
    case 'start':
      return `watching ${e.root} (backend ${e.backend}, at most ${e.parallel} job${e.parallel === 1 ? '' : 's'} at once, every ${e.period} s); Ctrl-C stops`;
    case 'check':
      return undefined;
    case 'submit':
      return `submitted ${e.folder} as ${e.jobid}`;
    case 'follow':
      return `following ${e.folder} (${e.jobid}, submitted before)`;
    case 'complete':
      return `${e.folder} ${e.jobid} ${paint(e.result, color)} exit ${e.returncode} -> complete/${e.movedTo}` + (e.error === undefined ? '' : ` (${e.error})`);
    case 'warning':
      return `warning: ${e.message}`;
    case 'stopping':
      return `stopping: no new folder is taken; waiting for ${e.running} running job${e.running === 1 ? '' : 's'} (Ctrl-C again leaves them running: the next watcher follows them)`;
    case 'stop':
      return `stopped: ${e.submitted} submitted, ${e.completed} completed`;
  }
}

/** Prints watcher events on `io`: JSON lines, or text lines with a heartbeat dot per check on a terminal. */
export function watchEventPrinter(io: CliIO, json: boolean): (e: WatchEvent) => void {
  let dots = 0;
  return (e) => {
    if (json) {
      io.out(JSON.stringify(e) + '\n');
      return;
    }
    const line = watchEventLine(e, io.color);
    if (line === undefined) {
      if (io.isTTY) {
        dots = (dots + 1) % DOTS_PER_ROW;
        io.out(dots === 0 ? '.\n' : '.');
      }
      return;
    }
    const text = (dots > 0 ? '\n' : '') + line + '\n';
    dots = 0;
    if (e.type === 'warning' || e.type === 'stopping') io.err(text);
    else io.out(text);
  };
}
