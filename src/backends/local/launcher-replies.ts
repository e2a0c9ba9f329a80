/**
 * The replies `jobf-launcher` writes on its stdout (see native/launcher.c): fixed 24-byte records
 * (type, phase, key, pid, value, time), and {@link ReplyFramer}, which cuts the pipe's chunks into
 * them without copying, carrying a record split across two chunks.
 */
import type { SpawnFailurePhase } from './spawn-common.js';

/** Bytes of one reply record. */
export const REPLY_SIZE = 24;
/** A process was started: its pid and start time. */
export const R_SPAWNED = 1;
/** A start failed: the phase byte and the errno. */
export const R_FAILED = 2;
/** A process was reaped: its wait status and end time. */
export const R_EXITED = 3;
/** A request was taken back before it started. */
export const R_WITHDRAWN = 4;
/** The next EXITED reply's process handed its slot to this standby. */
export const R_HANDED = 5;
/** The phase byte of an R_FAILED reply, as an index. */
export const PHASES: readonly SpawnFailurePhase[] = ['exec', 'cwd', 'stdin', 'stdout', 'stderr', 'pgid'];

/** Cuts the launcher's stdout into reply records. */
export class ReplyFramer {
  readonly #carry = Buffer.alloc(REPLY_SIZE);
  #carryLen = 0;

  /** Forgets a partial record (a new launcher starts). */
  reset(): void {
    this.#carryLen = 0;
  }

  /**
   * Calls `dispatch(buffer, offset)` for each whole record in `chunk` (with the partial one carried
   * from the last chunk first). Returns false when `chunk` only added to a record still partial.
   */
  feed(chunk: Buffer, dispatch: (b: Buffer, off: number) => void): boolean {
    let off = 0;
    if (this.#carryLen > 0) {
      const take = Math.min(REPLY_SIZE - this.#carryLen, chunk.length);
      chunk.copy(this.#carry, this.#carryLen, 0, take);
      this.#carryLen += take;
      off = take;
      if (this.#carryLen < REPLY_SIZE) return false;
      this.#carryLen = 0;
      dispatch(this.#carry, 0);
    }
    const end = chunk.length - ((chunk.length - off) % REPLY_SIZE);
    for (; off < end; off += REPLY_SIZE) dispatch(chunk, off);
    if (off < chunk.length) {
      chunk.copy(this.#carry, 0, off);
      this.#carryLen = chunk.length - off;
    }
    return true;
  }
}
