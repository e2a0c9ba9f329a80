import { hostname } from 'node:os';

import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

import { currentOwner, isOwnerAlive, sameOwner } from '../../src/store/index.js';

const linux = process.platform === 'linux';

describe('owners', () => {
  it('describes this process', () => {
    const me = currentOwner();
    expect(me.pid).toBe(process.pid);
    expect(me.host).toBe(hostname());
    if (linux) {
      expect(me.bootId).toMatch(/^[0-9a-f-]{36}$/);
      expect(me.startTime).toMatch(/^[0-9]+$/);
    }
    expect(sameOwner(me, { ...me })).toBe(true);
    expect(isOwnerAlive(me)).toBe(true);
  });

  it('a process that exited is dead', async () => {
    const child = execa('node', ['-e', '0']);
    const pid = child.pid!;
    await child;
    expect(isOwnerAlive({ ...currentOwner(), pid })).toBe(false);
  });

  it.runIf(linux)('a live pid with another start time is a reused pid, so dead', () => {
    expect(isOwnerAlive({ ...currentOwner(), startTime: '1' })).toBe(false);
    // pid 1 exists (EPERM or not), but started at another time than we claim.
    expect(isOwnerAlive({ ...currentOwner(), pid: 1, startTime: '999999999999' })).toBe(false);
  });

  it('another boot of this host is dead; another host is assumed alive', () => {
    if (linux) expect(isOwnerAlive({ ...currentOwner(), bootId: '00000000-0000-0000-0000-000000000000' })).toBe(false);
    expect(isOwnerAlive({ ...currentOwner(), host: 'some-other-host', pid: 999_999_999 })).toBe(true);
  });
});
