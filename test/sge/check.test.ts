/** SgeBackend's option and spec checks (no cluster needed). */
import { describe, expect, it } from 'vitest';
import { SgeBackend } from '../../src/backends/sge/index.js';
import { Jobspec } from '../../src/jobspec/index.js';
import { UnsupportedOperationError } from '../../src/core/errors.js';
import { signalJob } from '../../src/backends/sge/control.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

describe('SgeBackend checks', () => {
  it('refuses a log folder Grid Engine cannot take in a directive, and bad numbers', () => {
    expect(() => new SgeBackend({ logDir: '/tmp/a:b' })).toThrow(/opts.logDir.*":"/);
    expect(() => new SgeBackend({ logDir: '/tmp/x', submitConcurrency: 0 })).toThrow(/opts.submitConcurrency/);
    expect(() => new SgeBackend({ logDir: '/tmp/x', pollInterval: { min: 10, max: 5 } })).toThrow(/opts.pollInterval/);
    expect(new SgeBackend({ logDir: 'rel/dir' }).logDir).toBe(path.resolve('rel/dir'));
  });

  it('rejects (typed, with a JSON pointer) what it cannot run: several tasks, GPUs, exclusive hosts, NUL', () => {
    const b = new SgeBackend({ logDir: '/tmp/x' });
    expect(() => b.check(Jobspec.fromCommand(['true'], { numTasks: 2 }))).toThrow(expect.objectContaining({ code: 'ERR_UNSATISFIABLE', path: '/tasks/0/count' }));
    expect(() => b.check(Jobspec.fromCommand(['true'], { gpusPerTask: 1 }))).toThrow(/GPU/);
    expect(() => b.check(Jobspec.fromCommand(['true'], { exclusive: true }))).toThrow(/exclusive/);
    expect(() => b.check(Jobspec.fromCommand(['a\0b']))).toThrow(/NUL/);
    expect(() => b.check(Jobspec.fromCommand(['true'], { coresPerTask: 4 }))).not.toThrow();
  });

  it('kill of a job on another host throws UnsupportedOperationError; a job whose script is not ours too', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jf-sge-kill-'));
    const status = path.join(dir, 'x.status');
    expect(signalJob(status, '5', 'SIGUSR1')).toBe(false); // no pid file yet
    writeFileSync(`${status}.pid`, 'some-other-host 12345\n');
    expect(() => signalJob(status, '5', 'SIGUSR1')).toThrow(UnsupportedOperationError);
    expect(() => signalJob(undefined, '5', 'SIGUSR1')).toThrow(/not supported on the sge backend/);
  });
});
