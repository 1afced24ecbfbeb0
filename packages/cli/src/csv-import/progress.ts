/** Where an import stands; what the progress line and the summary show. */
export interface ImportProgress {
  readonly bytesRead: number;
  readonly totalBytes: number;
  /** Data rows read so far (the header not counted). */
  readonly rows: number;
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: number;
  readonly elapsedMs: number;
}

/** What an import has done so far; each stage adds to its own counts. */
export interface ImportCounts {
  rows: number;
  /** The line the last row read starts on. */
  line: number;
  accepted: number;
  duplicates: number;
  rejected: number;
}

/** An import's counts, and its progress from them and from how far through the file it read. */
export class ImportMeter {
  readonly counts: ImportCounts = { rows: 0, line: 0, accepted: 0, duplicates: 0, rejected: 0 };

  constructor(
    private readonly input: { readonly bytesRead: number },
    private readonly totalBytes: number,
    private readonly startedMs: number,
    private readonly onProgress: ((progress: ImportProgress) => void) | undefined,
  ) {}

  elapsedMs(): number {
    return performance.now() - this.startedMs;
  }

  report(): void {
    this.onProgress?.({
      ...this.counts,
      bytesRead: this.input.bytesRead,
      totalBytes: this.totalBytes,
      elapsedMs: this.elapsedMs(),
    });
  }
}

const BAR_WIDTH = 24;

const count = (n: number) => n.toLocaleString('en-US');

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}

export function rowsPerSecond(rows: number, elapsedMs: number): number {
  return elapsedMs <= 0 ? 0 : Math.round((rows / elapsedMs) * 1000);
}

/** `[#####.....]  41%  12.0 MB/29.3 MB  8,120 rows/s  accepted 40,000 · duplicates 0 · rejected 2` */
export function formatProgress(progress: ImportProgress): string {
  const fraction =
    progress.totalBytes > 0 ? Math.min(1, progress.bytesRead / progress.totalBytes) : 1;
  const filled = Math.round(fraction * BAR_WIDTH);
  return [
    `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`,
    `${String(Math.floor(fraction * 100)).padStart(3)}%`,
    `${formatBytes(progress.bytesRead)}/${formatBytes(progress.totalBytes)}`,
    `${count(rowsPerSecond(progress.rows, progress.elapsedMs))} rows/s`,
    `accepted ${count(progress.accepted)} · duplicates ${count(progress.duplicates)} · rejected ${count(progress.rejected)}`,
  ].join('  ');
}

export interface ProgressSink {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export interface ProgressReporter {
  update(progress: ImportProgress): void;
  /** Draws the last state and ends the line (a terminal's bar stays as the final picture). */
  done(progress: ImportProgress): void;
}

/**
 * On a terminal, one bar redrawn in place at most every `redrawMs`; elsewhere (a CI log, a file),
 * one line every `lineEveryMs`, since carriage returns would pile up into one huge line.
 */
export function progressReporter(
  sink: ProgressSink,
  options: { readonly redrawMs?: number; readonly lineEveryMs?: number } = {},
): ProgressReporter {
  const tty = sink.isTTY === true;
  const everyMs = tty ? (options.redrawMs ?? 100) : (options.lineEveryMs ?? 5_000);
  let lastMs = Number.NEGATIVE_INFINITY;
  const draw = (progress: ImportProgress) => {
    lastMs = progress.elapsedMs;
    sink.write(tty ? `\r${formatProgress(progress)}\u001b[K` : `${formatProgress(progress)}\n`);
  };
  return {
    update(progress) {
      if (progress.elapsedMs - lastMs >= everyMs) draw(progress);
    },
    done(progress) {
      if (tty) {
        draw(progress);
        sink.write('\n');
      }
    },
  };
}
