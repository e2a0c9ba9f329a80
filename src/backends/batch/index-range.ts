/**
 * Array index lists as schedulers print them (`1-10:2,15`), shared by Slurm's squeue and Grid
 * Engine's qstat.
 */

/**
 * Expands `A`, `A-B` and `A-B:STEP` items, comma-separated, into the indexes they stand for.
 * Returns [] for anything malformed (or absurdly large), so a strange row never breaks a poll.
 */
export function expandIndexRange(expr: string): number[] {
  const out: number[] = [];
  for (const part of expr.split(',')) {
    const m = /^(\d+)(?:-(\d+)(?::(\d+))?)?$/.exec(part.trim());
    if (!m) return [];
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    const step = m[3] === undefined ? 1 : Number(m[3]);
    if (hi < lo || step < 1 || hi - lo > 10_000_000) return [];
    for (let i = lo; i <= hi; i += step) out.push(i);
  }
  return out;
}
