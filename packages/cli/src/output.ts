/** How commands print: their status lines, durations, numbers, instants and tables. */

/** A status line of the commands that run things (`up`, `down`, `fetch`). */
export const say = (message: string) => console.log(`rapport: ${message}`);

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export const fixed = (value: number, digits = 1) => value.toFixed(digits);

/** An instant to the minute, in UTC as the API gives it. */
export const toMinute = (iso: string | null) =>
  iso === null ? '—' : `${iso.slice(0, 16).replace('T', ' ')}Z`;

/** An instant to the second, in UTC. */
export const toSecond = (ms: number | null) =>
  ms === null ? '—' : `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z`;

/** Columns as wide as their widest cell, indented by two spaces, the header first. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  return [header, ...rows]
    .map((row) =>
      `  ${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ')}`.trimEnd(),
    )
    .join('\n');
}
