/**
 * Finding submissions whose answer was lost: one pass over every job Flux knows (a `full`
 * events-journal backlog, `submit` events only, whose responses carry the jobspec), reporting the
 * executor id each jobspec carries (`attributes.user.jobfutures.id`).
 *
 * @module
 */
import { taggedId } from './submission.js';
import { watchJournal, type FluxConnection } from './wire/index.js';

/**
 * Scans every job Flux knows. `found(tag, id)` is called for each job that carries an executor
 * id; `done(complete)` once, after the last (`complete` false when the connection was lost first).
 */
export function scanTags(conn: FluxConnection, found: (tag: string, id: bigint) => void, done: (complete: boolean) => void): void {
  let finished = false;
  const stream = watchJournal(
    conn,
    { full: true, allow: { submit: 1 } },
    (e) => {
      const tag = taggedId(e.jobspec);
      if (tag !== undefined) found(tag, e.id);
    },
    () => {
      finished = true;
      stream.cancel();
      done(true);
    },
  );
  stream.done.catch(() => {
    if (!finished) done(false);
  });
}
