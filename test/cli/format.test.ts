import { describe, expect, it } from 'vitest';

import { withIndex } from '../../src/cli/commands/submit.js';
import { commandOf, formatAge, paint, renderTable, shellQuote } from '../../src/cli/shared/format.js';

describe('format', () => {
  it('ages', () => {
    expect([0, 59.9, 60, 3599, 3600, 86399, 86400, 10 * 86400, -5].map(formatAge)).toEqual([
      '0s', '59s', '1m', '59m', '1h', '23h', '1d', '10d', '0s',
    ]);
  });

  it('shell quoting', () => {
    expect(shellQuote(['echo', 'a b', "it's", '$HOME', 'x=1', '/a/b.c'])).toBe(`echo 'a b' 'it'\\''s' '$HOME' x=1 /a/b.c`);
    expect(shellQuote([''])).toBe(`''`);
  });

  it('tables align, right-align, trim and truncate', () => {
    const t = renderTable(['ID', 'N', 'CMD'], [['a', '1', 'echo hi'], ['bbb', '22', 'x']], { align: ['left', 'right', 'left'] });
    expect(t).toBe('ID    N  CMD\na     1  echo hi\nbbb  22  x\n');
    const narrow = renderTable(['A', 'B'], [['1', 'a very long command line']], { maxWidth: 12 });
    expect(narrow.split('\n')[1]).toBe('1  a very l…');
    expect(renderTable(['ƒID', 'X'], [['ƒ1', 'y']])).toBe('ƒID  X\nƒ1   y\n');
  });

  it('reads the command of a stored spec without validating it', () => {
    expect(commandOf({ tasks: [{ command: ['a', 'b'] }] })).toEqual(['a', 'b']);
    expect(commandOf({})).toEqual([]);
    expect(commandOf({ tasks: 'x' })).toEqual([]);
  });

  it('colours states and results only when asked, and aligns coloured cells by what they show', () => {
    expect(paint('FAILED', false)).toBe('FAILED');
    expect(paint('FAILED', true)).toBe('\x1b[31mFAILED\x1b[0m');
    expect(paint('COMPLETED', true)).toBe('\x1b[32mCOMPLETED\x1b[0m');
    expect(paint('NEW (held)', true)).toBe('\x1b[34mNEW (held)\x1b[0m');
    expect(paint('-', true)).toBe('-');
    const t = renderTable(['S', 'X'], [['FAILED', 'a'], ['RUN', 'b']], { paintColumns: [0] });
    expect(t).toBe('S       X\n\x1b[31mFAILED\x1b[0m  a\n\x1b[36mRUN\x1b[0m     b\n');
    const narrow = renderTable(['A', 'B'], [['RUN', 'a very long command line']], { maxWidth: 12, paintColumns: [0] });
    expect(narrow.split('\n')[1]).toBe('\x1b[36mRUN\x1b[0m  a very…');
  });

  it('{index} in an array task\'s command', () => {
    expect(withIndex(['echo', '{index}', 'in-{index}-{index}.txt'], 7)).toEqual(['echo', '7', 'in-7-7.txt']);
    // {{...}} (the jobspec's own templates) is left alone; \{index} is a literal {index}.
    expect(withIndex(['{{index}}', '{{id}}', '\\{index}', '{index'], 3)).toEqual(['{{index}}', '{{id}}', '{index}', '{index']);
    expect(withIndex(['$JOBFUTURES_ARRAY_INDEX'], 3)).toEqual(['$JOBFUTURES_ARRAY_INDEX']);
  });
});
