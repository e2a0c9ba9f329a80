/**
 * Ends job processes when the Node process exits or is interrupted. Each live executor registers a
 * synchronous cleanup; the first SIGINT/SIGTERM runs them all and, unless the application has its own
 * handler for that signal, re-raises it so the process dies as it would have without us.
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
  runAll();
  const others = process.listeners(signal).filter((l) => l !== onSignal);
  if (others.length === 0) {
    uninstall();
    process.kill(process.pid, signal);
  }
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
