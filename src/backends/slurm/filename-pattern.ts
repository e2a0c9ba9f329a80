/**
 * Slurm's filename patterns: how a path is written for sbatch's `--output` / `--error` / `--input`.
 *
 * @module
 */

/**
 * Escapes a file path for sbatch's `--output` / `--error` / `--input`, whose values are patterns
 * (`%j`, `%A`, ...): Slurm then opens exactly `path`.
 *
 * Slurm's rules (`remove_path_slashes`): when a pattern holds a backslash, `\\` stands for `\`,
 * a lone `\` is dropped and no `%` is expanded; otherwise `%%` stands for `%`. So a path with a
 * backslash gets every backslash doubled, and a path without one gets every `%` doubled.
 */
export function slurmFilenameLiteral(path: string): string {
  if (path.includes('\\')) return path.replaceAll('\\', '\\\\');
  return path.replaceAll('%', '%%');
}
