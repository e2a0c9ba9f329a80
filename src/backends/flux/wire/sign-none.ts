/**
 * The signed job request `J` of `job-ingest.submit` with the `none` mechanism, as flux-core 0.88
 * builds it without flux-security: `sign_none_wrap()` in `src/common/libjob/sign_none.c`.
 * `J = base64(header) + "." + base64(jobspec) + ".none"`, header being the NUL-separated
 * key/value list `version\0i1\0userid\0i<uid>\0mechanism\0snone\0` (RFC 4648 base64 with `=`
 * padding, ccan/base64). job-ingest accepts it only from the instance owner.
 *
 * @module
 */
import { InvalidArgumentError } from '../../../util/errors.js';

/**
 * Wraps jobspec text as a `none`-signed `J`.
 *
 * @param jobspec - The jobspec as JSON (or YAML) text, sent as is.
 * @param userid - The submitting user's uid (flux_job_submit uses getuid()).
 * @throws {@link InvalidArgumentError} if `userid` is not a uint32.
 */
export function signNone(jobspec: string, userid: number): string {
  if (!Number.isInteger(userid) || userid < 0 || userid > 0xffffffff) {
    throw new InvalidArgumentError('userid', `must be an integer uid in [0, 2^32), got ${userid}`);
  }
  const header = Buffer.from(`version\0i1\0userid\0i${userid}\0mechanism\0snone\0`, 'latin1').toString('base64');
  return `${header}.${Buffer.from(jobspec, 'utf8').toString('base64')}.none`;
}

/**
 * The jobspec text inside a `none`-signed `J` (for tests and diagnostics).
 *
 * @throws {@link InvalidArgumentError} if `J` is not three dot-separated parts ending in `none`.
 */
export function unwrapNone(J: string): { userid: number; jobspec: string } {
  const parts = J.split('.');
  if (parts.length !== 3 || parts[2] !== 'none') throw new InvalidArgumentError('J', 'expected HEADER.PAYLOAD.none');
  const fields = Buffer.from(parts[0] as string, 'base64').toString('latin1').split('\0');
  const i = fields.indexOf('userid');
  const uid = i >= 0 ? fields[i + 1] : undefined;
  if (!uid?.startsWith('i')) throw new InvalidArgumentError('J', 'header has no userid');
  return { userid: Number(uid.slice(1)), jobspec: Buffer.from(parts[1] as string, 'base64').toString('utf8') };
}
