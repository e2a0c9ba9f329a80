/**
 * {@link splitAppArgs}: an `appArgs` string split into argv words the way a POSIX shell (and
 * Python's `shlex.split`, which libEnsemble uses) splits them: blanks separate words, single quotes
 * keep everything literally, double quotes keep everything but `\"`, `\\`, `\$` and `` \` ``
 * escapes, a backslash outside quotes escapes the next character. No expansion of any kind
 * (`$VAR`, globs, `~`): the job runs without a shell.
 *
 * @module
 */
import { InvalidArgumentError } from '../../util/errors.js';

/**
 * Splits `text` into words.
 *
 * @throws {@link InvalidArgumentError} (`argument`) for an unterminated quote or a trailing backslash.
 * @example splitAppArgs(`-n 4 --name 'a b' "c \\"d\\""`) // ['-n', '4', '--name', 'a b', 'c "d"']
 */
export function splitAppArgs(text: string, argument = 'appArgs'): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new InvalidArgumentError(argument, `unterminated single quote at offset ${i} in ${JSON.stringify(text)}`);
      word += text.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && j + 1 < text.length && '"\\$`\n'.includes(text[j + 1]!)) j++;
        word += text[j];
      }
      if (j >= text.length) throw new InvalidArgumentError(argument, `unterminated double quote at offset ${i} in ${JSON.stringify(text)}`);
      inWord = true;
      i = j;
    } else if (c === '\\') {
      if (i + 1 >= text.length) throw new InvalidArgumentError(argument, `trailing backslash in ${JSON.stringify(text)}`);
      word += text[++i];
      inWord = true;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}
