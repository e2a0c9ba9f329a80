/** fast-check arbitraries shared by the Slurm tests. */
import fc from 'fast-check';

/**
 * Strings a job may receive: any unicode (no NUL: no argv or environment can hold one), biased
 * towards shell metacharacters, quotes, `$`, backticks, newlines, leading dashes and emptiness.
 */
export const nastyString = (maxLength = 40): fc.Arbitrary<string> =>
  fc
    .oneof(
      { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength }) },
      { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom(...`'"\`$\\!*?[]{}()<>|&;#~= \t\n\r-%@:,.^`.split('')), maxLength: Math.min(20, maxLength) }) },
      { weight: 1, arbitrary: fc.constantFrom('', '-', '--', '-n', '-e', '--help', "'", "''", '"', '$(id)', '`id`', '${HOME}', '\\', 'a\nb', '{{id}}', '{{tmpdir}}', 'if', '!', 'x=y', 'ƒ', '日本語', '🙂\u200d', ':', ' : ', '\r\n') },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: Math.min(20, maxLength) }) },
    )
    .map((s) => s.replaceAll('\0', ''));
