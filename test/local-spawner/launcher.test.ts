import { LauncherSpawner } from '../../src/backends/local/launcher-spawner.js';
import { LAUNCHER_BINARY, buildLauncher } from './harness.js';
import { spawnerSuite } from './suite.js';

buildLauncher();

spawnerSuite({
  name: 'launcher',
  factory: (listener) => new LauncherSpawner(listener, { binary: LAUNCHER_BINARY }),
  joinsGroups: true,
  skip: LauncherSpawner.available(LAUNCHER_BINARY) ? undefined : 'the launcher is not built (no C compiler?)',
});
