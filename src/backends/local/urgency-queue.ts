/**
 * Pending jobs by urgency: 32 FIFO lists, highest urgency first, ties by submit order. Removal is
 * lazy: the caller's `isCurrent` check skips entries that were canceled or moved to another urgency.
 * A bitmask of non-empty lists keeps `peek` O(1) when most urgencies are unused.
 */
export class UrgencyQueue {
  private readonly items: number[][] = Array.from({ length: 32 }, () => []);
  private readonly heads = new Int32Array(32);
  private nonEmpty = 0;

  /** Appends a job at `urgency` (0 is held: never returned by {@link peek}). */
  push(job: number, urgency: number): void {
    this.items[urgency]!.push(job);
    this.nonEmpty |= 1 << urgency;
  }

  /**
   * Puts a job that was taken out back in its place: before the first entry (from the head) with a
   * higher handle, handles being given in submit order. O(1) when it goes first, else O(n).
   */
  putBack(job: number, urgency: number): void {
    const list = this.items[urgency]!;
    const head = this.heads[urgency]!;
    let i = head;
    while (i < list.length && list[i]! < job) i++;
    if (i === head && head > 0) {
      this.heads[urgency] = head - 1;
      list[head - 1] = job;
    } else {
      list.splice(i, 0, job);
    }
    this.nonEmpty |= 1 << urgency;
  }

  /**
   * The first current job of the highest non-empty urgency above 0, or -1. Stale entries are dropped
   * on the way.
   */
  peek(isCurrent: (job: number, urgency: number) => boolean): number {
    let mask = this.nonEmpty & ~1;
    while (mask !== 0) {
      const u = 31 - Math.clz32(mask);
      mask &= ~(1 << u);
      const list = this.items[u]!;
      let head = this.heads[u]!;
      while (head < list.length) {
        const job = list[head]!;
        if (isCurrent(job, u)) {
          this.heads[u] = head;
          return job;
        }
        head++;
      }
      this.reset(u);
    }
    return -1;
  }

  /** Removes the entry {@link peek} returned last at `urgency`. */
  shift(urgency: number): void {
    const head = ++this.heads[urgency]!;
    const list = this.items[urgency]!;
    if (head === list.length) this.reset(urgency);
    else if (head > 4096 && head * 2 > list.length) {
      this.items[urgency] = list.slice(head);
      this.heads[urgency] = 0;
    }
  }

  private reset(u: number): void {
    this.items[u]!.length = 0;
    this.heads[u] = 0;
    this.nonEmpty &= ~(1 << u);
  }
}
