/**
 * The only list of backends. Adding one is a folder under `backends/` that exports a
 * {@link BackendPlugin}, plus one line in {@link BACKEND_PLUGINS} and one in {@link BackendOptionsMap}.
 */
import type { Backend } from '../core/backend.js';
import type { BackendPlugin, CommonBackendOptions } from '../core/plugin.js';
import { InvalidArgumentError } from '../util/errors.js';
import { localPlugin } from './local/plugin.js';
import type { LocalBackendOptions } from './local/local-backend.js';
import { sgePlugin, type SgePluginOptions } from './sge/plugin.js';
import { slurmPlugin, type SlurmPluginOptions } from './slurm/plugin.js';
import { fluxPlugin, type FluxPluginOptions } from './flux/plugin.js';

/** Each built-in backend's own options, by name. */
export interface BackendOptionsMap {
  local: LocalBackendOptions;
  slurm: SlurmPluginOptions;
  sge: SgePluginOptions;
  flux: FluxPluginOptions;
}

/** Names of the built-in backends. */
export type BackendName = keyof BackendOptionsMap;

/** The built-in backends' plug-ins, by name (the first is the default). */
export const BACKEND_PLUGINS: { readonly [K in BackendName]: BackendPlugin<BackendOptionsMap[K]> } = {
  local: localPlugin,
  slurm: slurmPlugin,
  sge: sgePlugin,
  flux: fluxPlugin,
};

/** Every backend name, the default first. */
export const BACKEND_NAMES = Object.keys(BACKEND_PLUGINS) as BackendName[];

/** The default backend. */
export const DEFAULT_BACKEND = 'local' satisfies BackendName;

/**
 * The plug-in of a backend.
 *
 * @throws {@link InvalidArgumentError} (`argument`) for a name that is not a backend.
 */
export function backendPlugin(name: string, argument = 'backend'): BackendPlugin {
  if (!Object.hasOwn(BACKEND_PLUGINS, name)) {
    throw new InvalidArgumentError(argument, `unknown backend '${name}' (expected ${BACKEND_NAMES.map((n) => `'${n}'`).join(', ')} or a Backend instance)`);
  }
  return BACKEND_PLUGINS[name as BackendName] as BackendPlugin;
}

/** Makes a built-in backend by name from its options (other backends' options are ignored). */
export function createBackend<K extends BackendName>(name: K, options: BackendOptionsMap[K] & CommonBackendOptions): Backend {
  return backendPlugin(name).create(options);
}
