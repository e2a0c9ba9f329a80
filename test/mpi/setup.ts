/**
 * MPI test setup: installs Open MPI and MPICH when missing (`scripts/mpi/install.sh`, idempotent)
 * and compiles a C hello with each flavour's `mpicc`. `describeMpi` skips with one loud line when
 * MPI cannot be installed (fails under CI instead).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

/** Prints `rank R of N` once per rank. */
const HELLO_C = `#include <mpi.h>
#include <stdio.h>
int main(int argc, char **argv) {
  int rank, size;
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  printf("rank %d of %d\\n", rank, size);
  MPI_Finalize();
  return 0;
}
`;

/** The compiled hello programs, by flavour. */
export interface MpiPrograms {
  readonly openmpi: string;
  readonly mpich: string;
  readonly dir: string;
}

function prepare(): MpiPrograms | string {
  try {
    execFileSync('bash', [path.join(root, 'scripts/mpi/install.sh')], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000 });
  } catch (error) {
    return `scripts/mpi/install.sh failed: ${String((error as { stderr?: unknown }).stderr ?? error).trim().split('\n').pop()}`;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'jobf-mpi-'));
  writeFileSync(path.join(dir, 'hello.c'), HELLO_C);
  const out = { openmpi: path.join(dir, 'hello-openmpi'), mpich: path.join(dir, 'hello-mpich'), dir };
  for (const flavour of ['openmpi', 'mpich'] as const) {
    execFileSync(`mpicc.${flavour}`, ['-o', out[flavour], path.join(dir, 'hello.c')], { stdio: 'pipe' });
  }
  return out;
}

const prepared = prepare();

/** The hello programs (only inside {@link describeMpi}). */
export const programs = (typeof prepared === 'string' ? undefined : prepared) as MpiPrograms;

/** `describe` for tests that need Open MPI and MPICH. */
export const describeMpi = (name: string, body: () => void): void => {
  if (typeof prepared !== 'string') {
    describe(name, body);
  } else if (process.env.CI) {
    describe(name, () => it('needs MPI', () => { throw new Error(prepared); }));
  } else {
    console.warn(`!!! SKIPPING the MPI tests: ${prepared}`);
    describe.skip(name, body);
  }
};

/** The `rank R of N` lines of an output, parsed. */
export function ranks(text: string): { ranks: number[]; sizes: number[] } {
  const lines = [...text.matchAll(/^rank (\d+) of (\d+)$/gm)];
  return { ranks: lines.map((m) => Number(m[1])).sort((a, b) => a - b), sizes: [...new Set(lines.map((m) => Number(m[2])))] };
}
