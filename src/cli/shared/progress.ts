/**
 * The progress display of `jobf execute`: on a terminal, one line redrawn in place (`\r`) with a
 * bar and the counts, jobs that did not complete printed above it; otherwise one plain line per
 * job that ends. Both end with {@link Progress.summary}.
 */
import type { JobResultName } from '../../core/types.js';
import type { CliIO } from './context.js';
import { paint } from './format.js';

/** How one job ended, as the display needs it. */
export interface EndedJob {
  /** F58 id. */
  readonly id: string;
  /** Job name. */
  readonly name: string;
  /** Its result. */
  readonly result: JobResultName;
  /** Exit code (minus the signal number), if known. */
  readonly returncode: number | undefined;
  /** The exception that decided it, if any (`type: note`). */
  readonly exception?: string | undefined;
}

/** Options of {@link Progress}. */
export interface ProgressOptions {
  /** Print nothing while running (`--json`). Default false. */
  readonly quiet?: boolean;
  /** Colour the results of the job lines ({@link CliIO.color}). Default false. */
  readonly color?: boolean;
  /** Milliseconds between redraws of the bar. Default 100. */
  readonly redrawMs?: number;
  /** The clock, for tests. Default `Date.now`. */
  readonly now?: () => number;
}

/** Counts of finished jobs by result, in display order. */
export const RESULT_ORDER: readonly JobResultName[] = ['COMPLETED', 'FAILED', 'CANCELED', 'TIMEOUT'];

/** Formats seconds as `4.2s`, `3m07s`, `1h02m`. */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const s = Math.floor(seconds);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** `3 COMPLETED, 1 FAILED` (results with no job are left out; `none` if there is none). */
export function countsText(counts: ReadonlyMap<JobResultName, number>): string {
  const parts = RESULT_ORDER.filter((r) => (counts.get(r) ?? 0) > 0).map((r) => `${counts.get(r)} ${r}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

/**
 * The live display of one `jobf execute` run. Call {@link Progress.started} and
 * {@link Progress.ended} as jobs start and end, then {@link Progress.stop} and print
 * {@link Progress.summary}.
 */
export class Progress {
  /** Jobs ended so far, by result. */
  readonly counts = new Map<JobResultName, number>();
  private readonly io: CliIO;
  private readonly total: number;
  private readonly tty: boolean;
  private readonly quiet: boolean;
  private readonly color: boolean;
  private readonly now: () => number;
  private readonly t0: number;
  private running = 0;
  private done = 0;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private drawn = false;

  /**
   * @param io - Where to print; a bar when `io.isTTY`.
   * @param total - How many jobs the run has.
   */
  constructor(io: CliIO, total: number, options: ProgressOptions = {}) {
    this.io = io;
    this.total = total;
    this.quiet = options.quiet ?? false;
    this.color = options.color ?? false;
    this.tty = io.isTTY && !this.quiet;
    this.now = options.now ?? Date.now;
    this.t0 = this.now();
    if (this.tty) {
      this.timer = setInterval(() => this.redraw(false), options.redrawMs ?? 100);
      this.timer.unref();
      this.redraw(true);
    }
  }

  /** Seconds since the display was made. */
  get elapsed(): number {
    return (this.now() - this.t0) / 1000;
  }

  /** A job started running. */
  started(): void {
    this.running++;
    this.dirty = true;
  }

  /**
   * A job ended.
   *
   * @param job - How it ended.
   * @param wasRunning - Whether it had been counted by {@link started}.
   */
  ended(job: EndedJob, wasRunning: boolean): void {
    if (wasRunning) this.running = Math.max(0, this.running - 1);
    this.done++;
    this.counts.set(job.result, (this.counts.get(job.result) ?? 0) + 1);
    this.dirty = true;
    if (this.quiet) return;
    const line = this.jobLine(job);
    if (!this.tty) {
      this.io.out(line + '\n');
    } else if (job.result !== 'COMPLETED') {
      this.clearLine();
      this.io.out(line + '\n');
      this.redraw(true);
    }
  }

  /** One plain line about an ended job: `[ 12/100] COMPLETED  ID  NAME  exit 0`. */
  jobLine(job: EndedJob): string {
    const width = String(this.total).length;
    const rc = job.returncode === undefined ? '' : `  exit ${job.returncode}`;
    const why = job.exception && job.result !== 'COMPLETED' ? `  (${job.exception})` : '';
    const result = paint(job.result, this.color) + ' '.repeat(Math.max(0, 9 - job.result.length));
    return `[${String(this.done).padStart(width)}/${this.total}] ${result}  ${job.id}  ${job.name}${rc}${why}`;
  }

  /** The bar line (without `\r`), fitted to `columns`. */
  barLine(columns = 80): string {
    const elapsed = this.elapsed;
    const rate = elapsed > 0 ? this.done / elapsed : 0;
    const ok = this.counts.get('COMPLETED') ?? 0;
    const bad = this.done - ok;
    const tail = ` ${this.done}/${this.total}  ${this.running} running  ${ok} ok${bad > 0 ? `  ${bad} not ok` : ''}  ${rate.toFixed(1)} jobs/s  ${formatDuration(elapsed)}`;
    const width = Math.max(10, Math.min(40, columns - tail.length - 3));
    const filled = this.total === 0 ? width : Math.round((width * this.done) / this.total);
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]${tail}`;
    return line.length > columns - 1 ? line.slice(0, Math.max(1, columns - 1)) : line;
  }

  private redraw(force: boolean): void {
    if (!this.tty || (!force && !this.dirty && this.drawn)) return;
    this.dirty = false;
    this.drawn = true;
    const columns = this.io.columns !== undefined && this.io.columns >= 20 ? this.io.columns : 80;
    this.io.out(`\r\x1b[K${this.barLine(columns)}`);
  }

  private clearLine(): void {
    if (this.tty && this.drawn) this.io.out('\r\x1b[K');
  }

  /** Stops redrawing; on a terminal, leaves the final bar on its own line. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty) {
      this.redraw(true);
      this.io.out('\n');
    }
  }

  /**
   * The summary line: `100 jobs in 12.3s (8.1 jobs/s): 98 COMPLETED, 2 FAILED`.
   *
   * @param counts - Final counts by result (default: what the display saw).
   */
  summary(counts: ReadonlyMap<JobResultName, number> = this.counts): string {
    const n = [...counts.values()].reduce((a, b) => a + b, 0);
    const elapsed = this.elapsed;
    const rate = elapsed > 0 ? n / elapsed : 0;
    return `${n} job${n === 1 ? '' : 's'} in ${formatDuration(elapsed)} (${rate.toFixed(1)} jobs/s): ${countsText(counts)}`;
  }
}
