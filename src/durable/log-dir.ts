import path from 'node:path';

/**
 * The default folder of a store's per-job files (status files, scripts, default outputs):
 * `.jobf-logs` beside the store file. Every process that opens the store looks there.
 */
export function storeLogDir(storePath: string): string {
  return path.join(path.dirname(path.resolve(storePath)), '.jobf-logs');
}
