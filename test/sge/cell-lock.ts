/**
 * A cross-file lock on a shared test engine: test files run in parallel processes; a test that
 * stops and restarts a daemon (Grid Engine's qmaster) takes the engine exclusively, the files that
 * run jobs share it (a readers/writer lock made of files under `/tmp`). Written like the Slurm
 * tests' lock (`test/slurm/cluster.ts`), for any engine: `engineLock('sge')`.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The lock of one engine. */
export interface EngineLock {
  /** Takes the engine shared (waits while a test holds it exclusively); resolves to the release function. */
  share(timeoutMs?: number): Promise<() => void>;
  /** Runs `fn` while no other test file uses the engine. */
  exclusive<T>(fn: () => Promise<T>, timeoutMs?: number): Promise<T>;
  /** Waits while another file holds the engine exclusively (it may have stopped a daemon). */
  settled(timeoutMs?: number): Promise<void>;
}

/** The lock of engine `name`, in `/tmp/jobfutures-<name>-test-locks`. */
export function engineLock(name: string): EngineLock {
  const dir = `/tmp/jobfutures-${name}-test-locks`;
  const writer = path.join(dir, 'exclusive');
  const clearStale = (): void => {
    if (existsSync(writer)) {
      const owners = readdirSync(writer).map((n) => Number(n.replace(/^\D+/, '')));
      if (owners.length > 0 && owners.every((pid) => !alive(pid))) rmSync(writer, { recursive: true, force: true });
    }
    for (const n of readdirSync(dir)) {
      if (!n.startsWith('shared-')) continue;
      const pid = Number(n.replace(/^\D+/, ''));
      if (Number.isInteger(pid) && pid > 0 && !alive(pid)) rmSync(path.join(dir, n), { recursive: true, force: true });
    }
  };
  return {
    async share(timeoutMs = 300_000) {
      mkdirSync(dir, { recursive: true });
      const mine = path.join(dir, `shared-${process.pid}`);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        writeFileSync(mine, '');
        clearStale();
        if (!existsSync(writer)) return () => rmSync(mine, { force: true });
        rmSync(mine, { force: true });
        if (Date.now() > deadline) throw new Error(`the ${name} engine stayed locked by another test file`);
        await sleep(200);
      }
    },
    async exclusive(fn, timeoutMs = 300_000) {
      mkdirSync(dir, { recursive: true });
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        clearStale();
        try {
          mkdirSync(writer);
          writeFileSync(path.join(writer, `pid-${process.pid}`), '');
          break;
        } catch {
          if (Date.now() > deadline) throw new Error(`could not lock the ${name} engine`);
          await sleep(200);
        }
      }
      try {
        while (readdirSync(dir).some((n) => n.startsWith('shared-') && n !== `shared-${process.pid}`)) {
          clearStale();
          if (Date.now() > deadline) throw new Error(`other ${name} test files kept the engine busy`);
          await sleep(200);
        }
        return await fn();
      } finally {
        rmSync(writer, { recursive: true, force: true });
      }
    },
    async settled(timeoutMs = 300_000) {
      if (!existsSync(dir)) return;
      const deadline = Date.now() + timeoutMs;
      while (existsSync(writer) && Date.now() < deadline) {
        clearStale();
        await sleep(200);
      }
    },
  };
}
