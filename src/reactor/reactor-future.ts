/**
 * A light callback future, as Flux's `*_async` calls return: no Promise is made unless somebody
 * awaits it or calls `then`. `callback(cb)` is the hot-path form (called synchronously when the
 * value arrives, or at once if it is already there).
 */
export class ReactorFuture<T> implements PromiseLike<T> {
  private settled: 0 | 1 | 2 = 0;
  private value: T | undefined;
  private error: unknown;
  private callbacks: ((error: unknown, value: T | undefined) => void)[] | undefined;

  /** True once the value or the error is there. */
  done(): boolean {
    return this.settled !== 0;
  }

  /** The value; throws the error, or a plain Error if not done yet. */
  get(): T {
    if (this.settled === 1) return this.value as T;
    if (this.settled === 2) throw this.error;
    throw new Error('future is not done yet');
  }

  /**
   * Flux-style completion callback: `cb(error, value)`, called once. Returns this future so calls chain.
   */
  callback(cb: (error: unknown, value: T | undefined) => void): this {
    if (this.settled === 0) (this.callbacks ??= []).push(cb);
    else cb(this.settled === 2 ? this.error : undefined, this.value);
    return this;
  }

  /** Promise interop: `await future` resolves to the value. */
  then<A = T, B = never>(onFulfilled?: ((value: T) => A | PromiseLike<A>) | null, onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    return new Promise<T>((resolve, reject) => {
      this.callback((error, value) => (this.settled === 2 ? reject(error) : resolve(value as T)));
    }).then(onFulfilled, onRejected);
  }

  /** @internal */
  _resolve(value: T): void {
    if (this.settled !== 0) return;
    this.settled = 1;
    this.value = value;
    this.flush();
  }

  /** @internal */
  _reject(error: unknown): void {
    if (this.settled !== 0) return;
    this.settled = 2;
    this.error = error;
    this.flush();
  }

  private flush(): void {
    const cbs = this.callbacks;
    if (!cbs) return;
    this.callbacks = undefined;
    for (const cb of cbs) cb(this.settled === 2 ? this.error : undefined, this.value);
  }
}
