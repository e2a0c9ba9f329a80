import { describe, expect, it } from 'vitest';

import { commandOf, formatAge, renderTable, shellQuote } from '../../src/cli/shared/format.js';

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
});
