/**
 * Who runs a job: setting a job's owner, and taking over, atomically, the active jobs whose owner
 * is dead (or that have none).
 */
import { UnknownJobError } from '../core/errors.js';
import { decodeOwner, encodeOwner } from './owner.js';
import { listWhere } from './queries.js';
import { keyF58, toKey } from './records.js';
import type { StoreStatements } from './statements.js';
import { epochSeconds } from '../util/time.js';
import type { ClaimOptions, JobRecord, Owner } from './types.js';

/** Records which process runs the job keyed `key` (`null`: nobody). @throws {@link UnknownJobError} if it is not in the store. */
export function setOwner(s: StoreStatements, key: string, owner: Owner | null): void {
  const r = s.sql('UPDATE jobs SET owner = ?, updated_at = ? WHERE jobid = ?').run(owner ? encodeOwner(owner) : null, epochSeconds(), key);
  if (r.changes === 0) throw new UnknownJobError(keyF58(key));
}

/**
 * Gives `newOwner`, in one write transaction, the active jobs whose owner `ownerIsAlive` says is
 * dead (or cannot be read), and unless `opts.includeUnowned` is false those without an owner.
 *
 * @returns The claimed jobs, as they are after the claim.
 */
export function claimOrphans(s: StoreStatements, newOwner: Owner, ownerIsAlive: (owner: Owner) => boolean, opts: ClaimOptions): JobRecord[] {
  const includeUnowned = opts.includeUnowned ?? true;
  const mine = encodeOwner(newOwner);
  let scope = opts.backend === undefined ? '' : ' AND backend = @backend';
  const params: Record<string, unknown> = opts.backend === undefined ? {} : { backend: opts.backend };
  if (opts.ids !== undefined) {
    scope += ' AND jobid IN (SELECT value FROM json_each(@only))';
    params['only'] = JSON.stringify(opts.ids.map(toKey));
  }
  return s.transaction(() => {
    const owners = s.sql(`SELECT DISTINCT owner FROM jobs WHERE state != 'INACTIVE' AND owner IS NOT NULL${scope}`).pluck().all(params) as string[];
    const dead = owners.filter((text) => {
      if (text === mine) return false;
      const owner = decodeOwner(text);
      // An owner column we cannot read belongs to nobody we could ask: treat it as dead.
      return owner === undefined || !ownerIsAlive(owner);
    });
    const t = epochSeconds();
    const claimed = s
      .sql(
        `UPDATE jobs SET owner = @mine, updated_at = @t
         WHERE state != 'INACTIVE'${scope}
           AND (owner IN (SELECT value FROM json_each(@dead))${includeUnowned ? ' OR owner IS NULL' : ''})
         RETURNING jobid`,
      )
      .pluck()
      .all({ ...params, mine, t, dead: JSON.stringify(dead) }) as string[];
    return claimed.length === 0 ? [] : listWhere(s, 'jobid IN (SELECT value FROM json_each(@ids))', { ids: JSON.stringify(claimed) });
  });
}
