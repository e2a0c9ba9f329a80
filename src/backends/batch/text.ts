/**
 * Small text helpers for the messages of scheduler tools.
 *
 * @module
 */

/** The first non-empty line of `text`, trimmed (schedulers' error messages are mostly one line). */
export function firstLine(text: string): string {
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t !== '') return t;
  }
  return '';
}

/** The last non-empty line of `text`, trimmed (submit tools end with the decisive error). */
export function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines[lines.length - 1] ?? '';
}
