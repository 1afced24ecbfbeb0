import { describe, expect, it } from 'vitest';
import { formatBytes, formatProgress, progressReporter, type ImportProgress } from './progress.js';

const at = (elapsedMs: number, overrides: Partial<ImportProgress> = {}): ImportProgress => ({
  bytesRead: 5 * 1024 * 1024,
  totalBytes: 20 * 1024 * 1024,
  rows: 40_000,
  accepted: 39_000,
  duplicates: 990,
  rejected: 10,
  elapsedMs,
  ...overrides,
});

function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, isTTY, write: (text: string) => writes.push(text) };
}

describe('formatProgress', () => {
  it('shows the share of bytes read, the rate and the three outcomes', () => {
    expect(formatProgress(at(4_000))).toBe(
      '[######..................]   25%  5.0 MB/20.0 MB  10,000 rows/s  accepted 39,000 · duplicates 990 · rejected 10',
    );
  });

  it('is full, not divided by zero, for an empty file', () => {
    expect(formatProgress(at(0, { bytesRead: 0, totalBytes: 0, rows: 0 }))).toContain(
      `[${'#'.repeat(24)}]  100%  0 B/0 B  0 rows/s`,
    );
  });

  it('sizes bytes for people', () => {
    expect([512, 2048, 3 * 1024 ** 2, 5 * 1024 ** 3].map(formatBytes)).toEqual([
      '512 B',
      '2.0 KB',
      '3.0 MB',
      '5.00 GB',
    ]);
  });
});

describe('progressReporter', () => {
  it('redraws one line in place on a terminal, at most every 100 ms, and ends it when done', () => {
    const terminal = sink(true);
    const reporter = progressReporter(terminal);
    for (const ms of [0, 50, 120, 150, 260]) reporter.update(at(ms));
    reporter.done(at(300));
    expect(terminal.writes).toHaveLength(5);
    expect(
      terminal.writes
        .slice(0, 4)
        .every((text) => text.startsWith('\r') && text.endsWith('\u001b[K')),
    ).toBe(true);
    expect(terminal.writes[4]).toBe('\n');
  });

  it('writes a plain line every five seconds elsewhere, and nothing extra when done', () => {
    const log = sink(false);
    const reporter = progressReporter(log);
    for (const ms of [0, 1_000, 4_999, 5_000, 9_000, 10_001]) reporter.update(at(ms));
    reporter.done(at(11_000));
    expect(log.writes).toHaveLength(3);
    expect(log.writes.every((text) => text.endsWith('\n') && !text.includes('\r'))).toBe(true);
  });
});
