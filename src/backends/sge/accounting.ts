/**
 * {@link AccountingReader}: how jobs that left `qstat` without a status file ended, from Grid
 * Engine's accounting: the accounting file read incrementally (one read per poll that needs it,
 * only the bytes appended since the last one), else one `qacct -j` per job.
 *
 * @module
 */
import { open } from 'node:fs/promises';
import type { SchedulerCommands } from '../batch/commands.js';
import { jobNumber } from './job.js';
import { parseAccountingFile, parseQacct, type AccountingRecord } from './parse.js';

/** The most of an existing accounting file read on first use (its tail). */
const FIRST_READ_MAX = 64 * 1024 * 1024;

/** The default accounting file: `$SGE_ROOT/$SGE_CELL/common/accounting`. */
export function defaultAccountingFile(env: NodeJS.ProcessEnv = process.env): string {
  return `${env.SGE_ROOT || '/var/lib/gridengine'}/${env.SGE_CELL || 'default'}/common/accounting`;
}

/** The key of a record: `<job>` or `<job>.<task>`, as the backend's native ids. */
export function accountingKey(rec: AccountingRecord): string {
  return rec.taskId === undefined ? rec.jobId : `${rec.jobId}.${rec.taskId}`;
}

/** Reads accounting records of the jobs asked for. */
export class AccountingReader {
  readonly #file: string | undefined;
  readonly #commands: SchedulerCommands;
  /** Last record per key, of what was read so far, for the watched job numbers only. */
  readonly #records = new Map<string, AccountingRecord>();
  /** Job numbers whose records are kept. */
  readonly #watched = new Set<string>();
  /** Native ids watched after the file was first read: their record may be behind the offset. */
  readonly #late = new Set<string>();
  #offset = -1;
  #partial = '';
  #fileWorks = true;

  /** @param file - The accounting file, or undefined to use `qacct`. */
  constructor(file: string | undefined, commands: SchedulerCommands) {
    this.#file = file;
    this.#commands = commands;
  }

  /**
   * Keeps the records of `nativeId`'s job from now on (call when the job gets its id, before it
   * can end). An id watched after the file was first read (an adopted job) is looked up with
   * `qacct` if its record is not among those read since.
   */
  watch(nativeId: string): void {
    const number = jobNumber(nativeId);
    if (this.#watched.has(number)) return;
    this.#watched.add(number);
    if (this.#offset >= 0) this.#late.add(nativeId);
  }

  /**
   * The last accounting record of each of `nativeIds` that has one (`123` or `123.4`). Never
   * rejects: what cannot be read is missing from the answer.
   */
  async records(nativeIds: readonly string[]): Promise<Map<string, AccountingRecord>> {
    const out = new Map<string, AccountingRecord>();
    if (nativeIds.length === 0) return out;
    for (const id of nativeIds) this.watch(id);
    let viaQacct: readonly string[] = nativeIds;
    if (this.#file !== undefined && this.#fileWorks && (await this.#readFile())) {
      for (const id of nativeIds) {
        const rec = this.#records.get(id);
        if (rec) out.set(id, rec);
      }
      viaQacct = nativeIds.filter((id) => !out.has(id) && this.#late.has(id));
    }
    await Promise.all(
      viaQacct.map(async (id) => {
        const [job, task] = id.split('.');
        try {
          const recs = parseQacct((await this.#commands.run('qacct', ['-j', job!, ...(task === undefined ? [] : ['-t', task])])).stdout);
          const rec = recs[recs.length - 1];
          if (rec) {
            out.set(id, rec);
            this.#late.delete(id);
          }
        } catch {
          // No record yet (qacct exits 1): the caller waits.
        }
      }),
    );
    return out;
  }

  /** Forgets a job's records (it ended). */
  forget(nativeId: string): void {
    this.#records.delete(nativeId);
    this.#late.delete(nativeId);
  }

  /** Reads what was appended to the accounting file; false if it cannot be read. */
  async #readFile(): Promise<boolean> {
    let fh;
    try {
      fh = await open(this.#file!, 'r');
    } catch {
      this.#fileWorks = false;
      return false;
    }
    try {
      const { size } = await fh.stat();
      if (size < this.#offset) {
        // Rotated: start over.
        this.#offset = 0;
        this.#partial = '';
      }
      if (this.#offset < 0) this.#offset = Math.max(0, size - FIRST_READ_MAX);
      if (size === this.#offset) return true;
      const buf = Buffer.alloc(size - this.#offset);
      const { bytesRead } = await fh.read(buf, 0, buf.length, this.#offset);
      this.#offset += bytesRead;
      const text = this.#partial + buf.subarray(0, bytesRead).toString('utf8');
      const cut = text.lastIndexOf('\n') + 1;
      this.#partial = text.slice(cut);
      for (const rec of parseAccountingFile(text.slice(0, cut))) if (this.#watched.has(rec.jobId)) this.#records.set(accountingKey(rec), rec);
      return true;
    } catch {
      return false;
    } finally {
      await fh.close();
    }
  }
}
