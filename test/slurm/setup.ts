/** Per-file setup for the Slurm integration tests: a backend, a recording host, a poll driver. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { SlurmBackend, type SlurmBackendOptions } from '../../src/backends/slurm/index.js';
import { shareCluster } from './cluster.js';
import { PollDriver, RecordingHost } from './host.js';

/** A backend bound to a recording host, polled by a driver. */
export interface Rig {
  readonly backend: SlurmBackend;
  readonly host: RecordingHost;
  /** The poll loop, unless the rig was made with `drive: false`. */
  readonly driver: PollDriver | undefined;
  readonly logDir: string;
  /** Stops polling and closes the backend. */
  close(): Promise<void>;
}

/** A new rig with its own log folder (under /tmp: this single-node cluster shares it). */
export function makeRig(opts: Partial<SlurmBackendOptions> = {}, drive = true): Rig {
  const logDir = mkdtempSync(path.join(tmpdir(), 'jf-slurm-'));
  const backend = new SlurmBackend({ logDir, pollInterval: { min: 100, max: 1000 }, ...opts });
  const host = new RecordingHost();
  backend.bind(host);
  const driver = drive ? new PollDriver(backend, host) : undefined;
  return {
    backend,
    host,
    driver,
    logDir,
    async close() {
      // Jobs a failed or skipped test left behind are canceled, not left running.
      for (const job of [...host.active]) host.cancel(backend, job);
      await driver?.stop();
      await backend.close();
    },
  };
}

/** Shares the cluster for the whole file (see `withExclusiveCluster`) and closes rigs at the end. */
export function useCluster(): { rig(opts?: Partial<SlurmBackendOptions>, drive?: boolean): Rig } {
  const rigs: Rig[] = [];
  let release: (() => void) | undefined;
  beforeAll(async () => {
    release = await shareCluster();
  }, 320_000);
  afterAll(async () => {
    for (const r of rigs) await r.close();
    release?.();
    // Keep the scripts, outputs and status files for a post-mortem with JF_KEEP_LOGS=1.
    if (!process.env.JF_KEEP_LOGS) for (const r of rigs) rmSync(r.logDir, { recursive: true, force: true });
  });
  return {
    rig(opts, drive) {
      const r = makeRig(opts, drive);
      rigs.push(r);
      return r;
    },
  };
}
