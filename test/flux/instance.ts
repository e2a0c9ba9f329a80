/**
 * Finds the Flux dev instance started by scripts/flux/start-dev-instance.sh for the Flux tests:
 * its URI from FLUX_URI or the script's well-known file, and the flux command for comparisons.
 */
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'vitest';
import { FluxConnection, localPathOf } from '../../src/backends/flux/wire/index.js';

/** Where start-dev-instance.sh writes the URI (JOBF_FLUX_STATE overrides the directory). */
export const URI_FILE = `${process.env.JOBF_FLUX_STATE ?? '/run/jobfutures-flux'}/uri`;

/** The instance's URI and flux binary, or `undefined` (after one loud console line) when none is reachable. */
export async function findInstance(): Promise<{ uri: string; flux: string } | undefined> {
  let uri = process.env.FLUX_URI;
  if (!uri && existsSync(URI_FILE)) uri = readFileSync(URI_FILE, 'utf8').trim();
  const why = !uri
    ? `no FLUX_URI and no ${URI_FILE}`
    : !uri.startsWith('local://') || !existsSync(localPathOf(uri))
      ? `no socket for ${uri}`
      : await FluxConnection.connect(uri).then(
          (c) => c.close().then(() => undefined),
          (e: Error) => e.message,
        );
  if (why || !uri) {
    console.warn(`\n*** SKIPPING Flux wire tests: no reachable Flux instance (${why}); run scripts/flux/start-dev-instance.sh ***\n`);
    return undefined;
  }
  let flux = 'flux';
  try {
    execFileSync('sh', ['-c', 'command -v flux'], { stdio: 'ignore' });
  } catch {
    flux = `${process.env.FLUX_PREFIX ?? '/opt/jobfutures-flux'}/bin/flux`;
  }
  return { uri, flux };
}

/** Runs a flux command against the instance and returns its stdout. */
export function fluxCmd(inst: { uri: string; flux: string }, args: string[], input?: string): string {
  return execFileSync(inst.flux, args, {
    env: { ...process.env, FLUX_URI: inst.uri, FLUX_F58_FORCE_ASCII: '1' },
    encoding: 'utf8',
    input,
  });
}

/** One entry of a job's eventlog as `flux job eventlog --format=json` prints it. */
export interface FluxLogEntry {
  name: string;
  timestamp: number;
  context?: Record<string, unknown>;
}

/** A job's eventlog as Flux keeps it (waiting for its `clean` to be committed: the journal can be ahead of the KVS). */
export function fluxEventlog(inst: { uri: string; flux: string }, id: string): FluxLogEntry[] {
  fluxCmd(inst, ['job', 'wait-event', '--timeout=30', id, 'clean']);
  return fluxCmd(inst, ['job', 'eventlog', '--format=json', id])
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as FluxLogEntry);
}

const found = await findInstance();

/** The dev instance found when this module loaded, or undefined. */
export const fluxInstance = found;

/**
 * A `describe` that runs when a Flux instance is reachable (its URI is then in `FLUX_URI` for the
 * body), skips with one loud line when none is, and fails under CI (`process.env.CI` set).
 */
export const describeFlux = (name: string, body: (inst: { uri: string; flux: string }) => void): void => {
  if (found) {
    process.env.FLUX_URI = found.uri;
    describe(name, () => body(found));
    return;
  }
  describe(name, () => {
    it(process.env.CI ? 'needs a Flux instance' : 'skipped: no Flux instance', () => {
      if (process.env.CI) throw new Error('no Flux instance reachable: run scripts/flux/start-dev-instance.sh');
    });
  });
};
