import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // two files at a time on the 2-core CI machine: most test time is waiting on processes and Slurm
    maxWorkers: 2,
    reporters: ['default'],
  },
});
