/**
 * Retrying scheduler commands that failed for a passing reason (the controller restarts), with
 * one backoff rule for every batch backend.
 *
 * @module
 */

/** The wait before retry number `attempt` (0-based): 500 ms doubling, at most 5 s. */
export function backoffMs(attempt: number): number {
  return Math.min(500 * 2 ** attempt, 5000);
}

/** A promise that resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Runs `fn` until it resolves, waiting {@link backoffMs} between attempts while `retryable` says
 * the error may pass; rejects with the first error it does not.
 *
 * @param retryable - Called with each error and its 0-based attempt number.
 */
export async function retry<T>(fn: () => Promise<T>, retryable: (error: unknown, attempt: number) => boolean): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!retryable(error, attempt)) throw error;
      await sleep(backoffMs(attempt));
    }
  }
}

/**
 * A `retryable` for {@link retry} that allows retries while `passing(error)` holds, until `ms`
 * from now, and not once `stopped()` (the backend closed). For submissions: retry only errors that
 * prove nothing was submitted.
 */
export function retryFor(ms: number, passing: (error: unknown) => boolean, stopped: () => boolean): (error: unknown) => boolean {
  const deadline = Date.now() + ms;
  return (error) => passing(error) && Date.now() < deadline && !stopped();
}
