/** Slurm's filename patterns (sbatch --output/--error/--input). */
import { describe, expect, it } from 'vitest';
import { slurmFilenameLiteral } from '../../src/backends/slurm/filename-pattern.js';

describe('slurmFilenameLiteral', () => {
  it('doubles % when there is no backslash, else doubles backslashes', () => {
    expect(slurmFilenameLiteral('/a/b.out')).toBe('/a/b.out');
    expect(slurmFilenameLiteral('/a/%j.out')).toBe('/a/%%j.out');
    expect(slurmFilenameLiteral('/a\\b/%j')).toBe('/a\\\\b/%j');
  });
});
