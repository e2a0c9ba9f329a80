/**
 * Choosing a spawner for the local backend.
 */
import { InvalidArgumentError } from '../../util/errors.js';
import { ExecaSpawner } from './execa-spawner.js';
import { LauncherSpawner, defaultLauncherPath } from './launcher-spawner.js';
import { SpawnerUnavailableError } from './spawn-common.js';
import type { SpawnerFactory } from './spawner.js';

/** Spawner names: `auto` picks the launcher when it is built, else execa. */
export type SpawnerName = 'auto' | 'launcher' | 'execa';

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
      return LauncherSpawner.available() ? resolveSpawner('launcher', options) : resolveSpawner('execa', options);
    default:
      throw new InvalidArgumentError('spawner', `expected 'auto', 'launcher' or 'execa', got ${JSON.stringify(name)}`);
  }
}
