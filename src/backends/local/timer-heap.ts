/**
 * A min-heap of deadlines with one Node timer for the earliest: thousands of job timeouts cost one
 * timer, not one closure and one timer each. Entries are (deadline ms, job, kind) in parallel arrays.
 */
export class TimerHeap {
  private at = new Float64Array(64);
  private job = new Int32Array(64);
  private kind = new Uint8Array(64);
  private size = 0;
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;

  /** @param fire called for each due entry, in deadline order. */
  constructor(private readonly fire: (job: number, kind: number) => void) {}

  /** Number of pending entries. */
  get length(): number {
    return this.size;
  }

  /** Schedules `(job, kind)` to fire `delayMs` from now. */
  push(delayMs: number, job: number, kind: number): void {
    const deadline = performance.now() + delayMs;
    if (this.size === this.at.length) this.grow();
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.at[parent]! <= deadline) break;
      this.move(parent, i);
      i = parent;
    }
    this.at[i] = deadline;
    this.job[i] = job;
    this.kind[i] = kind;
    if (deadline < this.armedFor) this.arm(deadline);
  }

  /** Stops the timer; pending entries never fire. */
  clear(): void {
    this.size = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  private arm(deadline: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.armedFor = deadline;
    this.timer = setTimeout(this.onTimer, Math.max(0, deadline - performance.now()));
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.armedFor = Infinity;
    const nowMs = performance.now() + 0.5;
    while (this.size > 0 && this.at[0]! <= nowMs) {
      const job = this.job[0]!;
      const kind = this.kind[0]!;
      this.popTop();
      this.fire(job, kind);
    }
    if (this.size > 0 && this.timer === undefined) this.arm(this.at[0]!);
  };

  private popTop(): void {
    const last = --this.size;
    if (last === 0) return;
    const deadline = this.at[last]!;
    const job = this.job[last]!;
    const kind = this.kind[last]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= last) break;
      const r = l + 1;
      const c = r < last && this.at[r]! < this.at[l]! ? r : l;
      if (this.at[c]! >= deadline) break;
      this.move(c, i);
      i = c;
    }
    this.at[i] = deadline;
    this.job[i] = job;
    this.kind[i] = kind;
  }

  private move(from: number, to: number): void {
    this.at[to] = this.at[from]!;
    this.job[to] = this.job[from]!;
    this.kind[to] = this.kind[from]!;
  }

  private grow(): void {
    const n = this.at.length * 2;
    const at = new Float64Array(n);
    at.set(this.at);
    this.at = at;
    const job = new Int32Array(n);
    job.set(this.job);
    this.job = job;
    const kind = new Uint8Array(n);
    kind.set(this.kind);
    this.kind = kind;
  }
}
