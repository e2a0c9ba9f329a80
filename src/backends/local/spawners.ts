/**
 * Choosing a spawner for the local backend.
 */
import { join } from 'node:path';
import { InvalidArgumentError } from '../../util/errors.js';
import { ExecaSpawner } from './execa-spawner.js';
import { LauncherSpawner, defaultLauncherPath } from './launcher-spawner.js';
import { packageRoot } from './package-root.js';
import { SpawnerUnavailableError } from './spawn-common.js';
import type { SpawnerFactory } from './spawner.js';

/** Spawner names: `auto` picks the launcher when it is built, else execa (with one warning per process). */
export type SpawnerName = 'auto' | 'launcher' | 'execa';

let warnedLauncherMissing = false;

/**
 * Says once per process (a Node warning, code `JOBFUTURES_NO_LAUNCHER`) that `auto` fell back to
 * execa because the launcher is not built: spawning is then several times slower, which should
 * not go unnoticed (a packed install without a C compiler, or with `--ignore-scripts`).
 */
function warnLauncherMissing(): void {
  if (warnedLauncherMissing) return;
  warnedLauncherMissing = true;
  const how = process.platform === 'linux' ? `build it with: node ${join(packageRoot(), 'scripts', 'build-native.mjs')} (needs a C compiler)` : 'it supports Linux only';
  process.emitWarning(`native launcher not built (${defaultLauncherPath()} is missing); using the slower execa spawner; ${how}`, {
    code: 'JOBFUTURES_NO_LAUNCHER',
  });
}

/** The launcher spawner when its binary is built ({@link LauncherSpawner.available}), else the execa spawner. */
export function defaultSpawnerFactory(): SpawnerFactory {
  return resolveSpawner('auto');
}

/**
 * The factory for a spawner chosen by name.
 *
 * @param name `auto` (default choice, see {@link defaultSpawnerFactory}), `launcher` or `execa`; a
 *   factory is returned as is (so options can take either).
 * @throws SpawnerUnavailableError for `launcher` when the launcher binary is missing or not executable.
 * @throws InvalidArgumentError for any other name.
 */
export function resolveSpawner(name: SpawnerName | SpawnerFactory, options: { keepOnParentDeath?: boolean } = {}): SpawnerFactory {
  if (typeof name === 'function') return name;
  switch (name) {
    case 'execa':
      return (listener) => new ExecaSpawner(listener);
    case 'launcher':
      if (!LauncherSpawner.available()) {
        throw new SpawnerUnavailableError(
          'launcher',
          `${defaultLauncherPath()} is missing or not executable (build it with: node scripts/build-native.mjs; Linux only)`,
        );
      }
      return (listener) => new LauncherSpawner(listener, options);
    case 'auto':
      if (LauncherSpawner.available()) return resolveSpawner('launcher', options);
      warnLauncherMissing();
      return resolveSpawner('execa', options);
    default:
      throw new InvalidArgumentError('spawner', `expected 'auto', 'launcher' or 'execa', got ${JSON.stringify(name)}`);
  }
}
