/**
 * Ends job processes when the Node process exits or is interrupted. Each live executor registers a
 * synchronous cleanup that runs on `exit`. On SIGINT/SIGTERM, if the application has no handler of
 * its own, the cleanups run and the signal is re-raised so the process dies as it would have without
 * us; if it has one, the application decides (e.g. `jobf execute` cancels and requeues gracefully),
 * and the `exit` hook still ends whatever is left when the process finally exits.
 */
const cleanups = new Set<() => void>();
let installed = false;

function runAll(): void {
  for (const cleanup of cleanups) {
    try {
      cleanup();
    } catch {
      // best effort: the process is going away
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  const others = process.listeners(signal).filter((l) => l !== onSignal);
  if (others.length > 0) return;
  runAll();
  uninstall();
  process.kill(process.pid, signal);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runAll);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('exit', runAll);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

/** Registers `cleanup` to run synchronously at exit, SIGINT or SIGTERM; returns the unregister function. */
export function onProcessExit(cleanup: () => void): () => void {
  cleanups.add(cleanup);
  install();
  return () => {
    cleanups.delete(cleanup);
    if (cleanups.size === 0) uninstall();
  };
}
