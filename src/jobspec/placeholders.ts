/**
 * The one `{NAME}` substitution rule of command words, shared by `jobf submit --array` (`{index}`)
 * and parameter scans (`{NAME}` of each parameter).
 */

/** A placeholder name: a letter or `_`, then letters, digits or `_`. */
export const PLACEHOLDER_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Replaces `{NAME}` in each word by `values[NAME]`, for the names `values` has. `\{NAME}` becomes
 * a literal `{NAME}`; `{{` and `}}` are left as they are (so `{{index}}`, like the jobspec's own
 * `{{id}}` templates of output paths, is never touched), and so is `{OTHER}` for a name `values`
 * does not have.
 *
 * ```ts
 * substitutePlaceholders(['./sim', '--seed', '{seed}', 'out-{seed}.txt'], { seed: '7' });
 * // ['./sim', '--seed', '7', 'out-7.txt']
 * ```
 */
export function substitutePlaceholders(words: readonly string[], values: Readonly<Record<string, string>>): string[] {
  return words.map((word) =>
    word.replace(/\\\{([A-Za-z_][A-Za-z0-9_]*)\}|\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (match: string, escaped?: string, name?: string) => {
      if (escaped !== undefined) return Object.hasOwn(values, escaped) ? `{${escaped}}` : match;
      if (name !== undefined && Object.hasOwn(values, name)) return values[name]!;
      return match;
    }),
  );
}
