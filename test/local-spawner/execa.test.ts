import { ExecaSpawner } from '../../src/backends/local/execa-spawner.js';
import { spawnerSuite } from './suite.js';

spawnerSuite({
  name: 'execa',
  factory: (listener) => new ExecaSpawner(listener),
  joinsGroups: false,
});
