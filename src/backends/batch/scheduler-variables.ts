/**
 * {@link SchedulerVariables}: the environment variables a scheduler sets in its jobs (Slurm's
 * `SLURM*`, Grid Engine's `SGE_*`, `JOB_ID`, `NSLOTS`, ...), one list turned into each form the
 * generated script needs: a test in TypeScript, a Perl regex for the reaper, a bash `case` pattern.
 *
 * @module
 */
import { InvalidArgumentError } from '../../util/errors.js';
import { isShellName } from './quote.js';

/**
 * A set of variable names given as patterns: `NAME` for one variable, `PREFIX*` for all names
 * that start with `PREFIX`.
 */
export class SchedulerVariables {
  /** The patterns as given. */
  readonly patterns: readonly string[];
  readonly #names: ReadonlySet<string>;
  readonly #prefixes: readonly string[];

  /**
   * @param patterns - e.g. `['SLURM*']`, or `['SGE_*', 'JOB_ID', 'NSLOTS']`.
   * @throws {@link InvalidArgumentError} for an empty list or a pattern that is not a shell name
   *   with an optional trailing `*`.
   */
  constructor(patterns: readonly string[]) {
    if (patterns.length === 0) throw new InvalidArgumentError('patterns', 'needs at least one variable name or PREFIX*');
    for (const p of patterns) {
      if (!isShellName(p.endsWith('*') ? p.slice(0, -1) : p)) throw new InvalidArgumentError('patterns', `'${p}' is not a variable name or PREFIX*`);
    }
    this.patterns = [...patterns];
    this.#names = new Set(patterns.filter((p) => !p.endsWith('*')));
    this.#prefixes = patterns.filter((p) => p.endsWith('*')).map((p) => p.slice(0, -1));
  }

  /** Whether the scheduler sets `name` (it matches one of the patterns). */
  matches(name: string): boolean {
    return this.#names.has(name) || this.#prefixes.some((p) => name.startsWith(p));
  }

  /** A Perl regex (no delimiters) matching these names: `^SLURM`, `^(?:SGE_|JOB_ID$)`. */
  get perlRegex(): string {
    const alternatives = this.patterns.map((p) => (p.endsWith('*') ? p.slice(0, -1) : `${p}$`));
    return alternatives.length === 1 ? `^${alternatives[0]}` : `^(?:${alternatives.join('|')})`;
  }

  /** A bash `case` pattern matching these names: `SLURM*`, `SGE_*|JOB_ID`. */
  get bashPattern(): string {
    return this.patterns.join('|');
  }
}
