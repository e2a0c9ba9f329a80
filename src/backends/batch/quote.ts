/**
 * Quoting for the generated batch scripts (bash), and the `{{id}}`/`{{name}}` path templates.
 *
 * Every value that reaches a job goes through {@link shQuote}: single quotes keep every byte as
 * written (quotes, `$`, backticks, backslashes, newlines, unicode, leading dashes, empty
 * strings), which is what PSI/J learned after packing values into `--export` broke them.
 *
 * @module
 */

/**
 * Quotes `s` as one bash word that expands to exactly `s`: `'...'`, with each `'` written as
 * `'\''` and each carriage return as `$'\r'` (sbatch, for one, rejects scripts with DOS line breaks).
 * The empty string becomes `''`. `s` must not contain NUL (no shell word can).
 *
 * @example shQuote(`it's $HOME`) === `'it'\\''s $HOME'`
 */
export function shQuote(s: string): string {
  if (s === '') return "''";
  if (/^[A-Za-z0-9_@%+:,./-]+$/.test(s) && !s.startsWith('-')) return s;
  // Carriage returns are spelled $'\r': sbatch refuses scripts that contain "\r\n".
  return `'${s.replaceAll("'", `'\\''`).replaceAll('\r', () => `'$'\\r''`)}'`;
}

/**
 * Quotes `s` as one bash word in which every `{{key}}` of `vars` is replaced by the bash
 * expression given for it (e.g. `{{id}}` → `"$__jf_id"`), the rest staying literal.
 *
 * @param s - the template, e.g. `/scratch/{{id}}.out`.
 * @param vars - placeholder name → an already quoted bash expression.
 * @example shTemplate('/o/{{id}}.out', { id: '"$__jf_id"' }) === `/o/"$__jf_id".out`
 */
export function shTemplate(s: string, vars: Readonly<Record<string, string>>): string {
  const keys = Object.keys(vars);
  if (keys.length === 0) return shQuote(s);
  const re = new RegExp(`\\{\\{(${keys.map(escapeRegExp).join('|')})\\}\\}`, 'g');
  let out = '';
  let last = 0;
  for (const m of s.matchAll(re)) {
    const literal = s.slice(last, m.index);
    if (literal !== '') out += shQuote(literal);
    out += vars[m[1]!]!;
    last = m.index + m[0].length;
  }
  const rest = s.slice(last);
  if (rest !== '' || out === '') out += shQuote(rest);
  return out;
}

/** Whether `name` can be assigned with bash's `export name=...` (a portable identifier). */
export function isShellName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}

/**
 * Expands the `{{id}}` and `{{name}}` placeholders of a path template (Flux's job shell
 * templates), leaving anything else as written.
 */
export function expandPathTemplate(template: string, id: string, name: string): string {
  return template.replace(/\{\{(id|name)\}\}/g, (_m, key: string) => (key === 'id' ? id : name));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
