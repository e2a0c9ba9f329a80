/**
 * Who owns a job: the identity of a process, precise enough to tell after a crash whether that
 * process still exists (a pid alone is not: pids are reused, and machines reboot).
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

import type { Owner } from './types.js';

function readTrimmed(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * The start time of a process from `/proc/PID/stat` (field 22, clock ticks since boot), or `''`
 * where there is no /proc or the process does not exist.
 *
 * @param pid - The process id, or `'self'`.
 */
export function processStartTime(pid: number | 'self'): string {
  const stat = readTrimmed(`/proc/${pid}/stat`);
  // Field 2 (comm) is in parentheses and may contain spaces or ')': split after the last ')'.
  const end = stat.lastIndexOf(')');
  if (end < 0) return '';
  // After "comm)" come fields 3, 4, ...: field 22 is index 19.
  return stat.slice(end + 2).split(' ')[19] ?? '';
}

/** The boot id of this machine (`/proc/sys/kernel/random/boot_id`), `''` where unknown. */
export function bootId(): string {
  return readTrimmed('/proc/sys/kernel/random/boot_id');
}

let self: Owner | undefined;

/** The {@link Owner} that stands for this process. Computed once. */
export function currentOwner(): Owner {
  return (self ??= { pid: process.pid, host: hostname(), bootId: bootId(), startTime: processStartTime('self') });
}

/** Whether two owners are the same process. */
export function sameOwner(a: Owner, b: Owner): boolean {
  return a.pid === b.pid && a.host === b.host && a.bootId === b.bootId && a.startTime === b.startTime;
}

/**
 * Whether the process `owner` stands for may still be running. The default liveness test of
 * `JobStore.claimOrphans`.
 *
 * - Another host: `true`. We cannot look, so we never take jobs away from it.
 * - Same host, another boot id: `false` (the machine rebooted since).
 * - Same host and boot: `false` if no process has that pid, or if one has but started at another
 *   time (the pid was reused); `true` otherwise. Where start times are unknown (no /proc), a live
 *   pid counts as the owner.
 *
 * @param owner - The recorded owner.
 */
export function isOwnerAlive(owner: Owner): boolean {
  const me = currentOwner();
  if (owner.host !== me.host) return true;
  if (owner.bootId !== '' && me.bootId !== '' && owner.bootId !== me.bootId) return false;
  if (owner.pid === me.pid) return owner.startTime === me.startTime;
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (owner.startTime === '') return true;
  // The start time was read from /proc on this host, so /proc is there: '' now means it just exited.
  return processStartTime(owner.pid) === owner.startTime;
}

/** Serializes an owner for the `owner` column: JSON with a fixed key order, so equal owners compare equal as text. */
export function encodeOwner(owner: Owner): string {
  return JSON.stringify({ pid: owner.pid, host: owner.host, bootId: owner.bootId, startTime: owner.startTime });
}

/** Parses the `owner` column; `undefined` for NULL or text that is not an owner. */
export function decodeOwner(text: string | null): Owner | undefined {
  if (text === null) return undefined;
  try {
    const o = JSON.parse(text) as Partial<Owner>;
    if (
      typeof o.pid === 'number' &&
      typeof o.host === 'string' &&
      typeof o.bootId === 'string' &&
      typeof o.startTime === 'string'
    ) {
      return { pid: o.pid, host: o.host, bootId: o.bootId, startTime: o.startTime };
    }
  } catch {
    // fall through
  }
  return undefined;
}
