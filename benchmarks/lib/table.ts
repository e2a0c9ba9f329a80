/**
 * Plain-text tables for benchmark output.
 */

/** A table cell: numbers are right-aligned, text left-aligned, undefined left blank. */
export type Cell = string | number | undefined;

/** One row: column name → cell. Columns appear in order of first appearance over all rows. */
export type Row = Readonly<Record<string, Cell>>;

function text(cell: Cell, decimals: number): string {
  if (cell === undefined) return '';
  if (typeof cell === 'number') return Number.isNaN(cell) ? '' : cell.toFixed(decimals);
  return cell;
}

/**
 * Formats rows as an aligned table (header, rule, rows), without a trailing newline. A column's
 * numbers get 2 decimals if any of them is fractional, none otherwise; NaN shows as blank.
 */
export function formatTable(rows: readonly Row[]): string {
  const columns: string[] = [];
  for (const row of rows) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
  const numeric = columns.map((c) => rows.some((r) => typeof r[c] === 'number'));
  const decimals = columns.map((c) =>
    rows.some((r) => {
      const v = r[c];
      return typeof v === 'number' && Number.isFinite(v) && !Number.isInteger(v);
    })
      ? 2
      : 0,
  );
  const cells = rows.map((r) => columns.map((c, i) => text(r[c], decimals[i]!)));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (parts: string[]): string =>
    parts
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** Prints `title` and the rows as an aligned table to stdout. */
export function printTable(title: string, rows: readonly Row[]): void {
  console.log(`\n${title}\n${formatTable(rows)}`);
}
