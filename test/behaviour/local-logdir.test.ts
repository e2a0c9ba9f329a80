/**
 * The local backend's default log folder: a temporary folder, removed when the executor shuts down
 * (nobody can reach it afterwards); a given `logDir` is kept.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { JobExecutor, Jobspec } from '../../src/index.js';

describe('local backend log folder', () => {
  it('without logDir: a temporary folder that is gone after shutdown', async () => {
    const ex = new JobExecutor({ backend: 'local' });
    const fut = ex.submit(Jobspec.fromCommand(['sh', '-c', 'echo hello']));
    await fut;
    const dir = path.dirname(fut.stdoutPath!);
    expect(dir.startsWith(path.join(tmpdir(), 'jobfutures-'))).toBe(true);
    expect(await fut.readStdout()).toBe('hello\n');
    await ex.shutdown();
    expect(existsSync(dir)).toBe(false);
  });

  it('with logDir: the folder and the outputs stay', async () => {
    const logDir = mkdtempSync(path.join(tmpdir(), 'jobf-kept-'));
    try {
      const ex = new JobExecutor({ backend: 'local', logDir });
      const fut = ex.submit(Jobspec.fromCommand(['sh', '-c', 'echo kept']));
      await fut;
      await ex.shutdown();
      expect(fut.stdoutPath!.startsWith(logDir)).toBe(true);
      expect(await fut.readStdout()).toBe('kept\n');
    } finally {
      rmSync(logDir, { recursive: true, force: true });
    }
  });
});
