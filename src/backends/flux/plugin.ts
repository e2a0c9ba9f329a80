/**
 * The Flux backend's plug-in: jobs go to Flux at once (`job-ingest.submit`), and a stored job is
 * signaled over a short-lived connection of the wire client (`job-manager.kill`).
 */
import { constants as osConstants } from 'node:os';
import type { BackendPlugin } from '../../core/plugin.js';
import { FluxBackend } from './flux-backend.js';
import type { FluxBackendOptions } from './options.js';
import { fluxId } from './job-index.js';
import { FluxConnection, killJob } from './wire/index.js';

/** Flux's options as the executor takes them. */
export type FluxPluginOptions = FluxBackendOptions;

/** The Flux backend's plug-in. */
export const fluxPlugin: BackendPlugin<FluxPluginOptions> = {
  name: 'flux',
  summary: 'a Flux instance (FLUX_URI or uri), over its own message protocol on one connection',
  create: (options) => new FluxBackend(options),
  submitsAtOnce: true,
  mayExist: () => true,
  async signalStored(job, signal, options: FluxPluginOptions) {
    const uri = options.uri ?? process.env.FLUX_URI;
    if (job.nativeId === undefined || uri === undefined) return false;
    let conn: FluxConnection | undefined;
    try {
      conn = await FluxConnection.connect(uri);
      await killJob(conn, fluxId(job.nativeId), osConstants.signals[signal]);
      return true;
    } catch {
      return false;
    } finally {
      await conn?.close();
    }
  },
};
