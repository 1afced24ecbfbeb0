import { defineCommand, gatewayUsage } from '../command.js';
import { importCsv, type ImportSummary } from '../csv-import/import-csv.js';
import { progressReporter, rowsPerSecond, type ImportProgress } from '../csv-import/progress.js';
import { seconds } from '../output.js';

export const importCommand = defineCommand({
  name: 'import',
  synopsis: 'import <file.csv> [--channel <slug>] [--mapping <file>]',
  summary: `Stream a CSV of offline interactions through the gateway; rejected rows go
to the dead-letter topic and <file.csv>.rejects.jsonl. Exit 1 if any was.`,
  usage: `Usage: rapport import <file.csv> [--channel <slug>] [--mapping <file>] [options]

Streams a CSV of offline interactions (store visits, phone calls, field sales) through the
gateway, in batches of 500 with at most 4 requests in flight, in constant memory.

  --channel SLUG    channel of the rows; required unless the file has a channel column.
                    With --mapping it replaces the mapping's channel.
  --mapping FILE    a declarative mapping (YAML or JSON, see packages/adapters/README.md)
                    applied to each row; default: columns named after the canonical fields
                    (packages/adapters/mappings/csv.yaml)
  --rejects FILE    where rejected rows go, one JSON line each with its line number and
                    issues (default <file.csv>.rejects.jsonl)
${gatewayUsage(20)}

Rejected rows also go to the dead-letter topic (\`rapport dlq list --source csv\`); fix the
mapping and \`rapport dlq replay --source csv --mapping FILE\`. Importing a file again is safe:
rows already accepted count as duplicates.

Exit code: 0 when every row was accepted or a duplicate, 1 when any row was rejected or the
import stopped, 2 on a usage error.`,
  server: 'gateway',
  operand: 'CSV file',
  flags: {
    channel: { type: 'string' },
    mapping: { type: 'string' },
    rejects: { type: 'string' },
  },
  async run({ flags, operand: file, config, gateway }) {
    const reporter = progressReporter(process.stderr);
    let last: ImportProgress | undefined;
    const summary = await importCsv(config, {
      file,
      channel: flags.channel,
      mappingFile: flags.mapping,
      rejectsFile: flags.rejects,
      target: gateway,
      onProgress: (progress) => reporter.update((last = progress)),
    }).finally(() => {
      if (last !== undefined) reporter.done(last);
    });
    console.log(summaryLine(summary));
    if (summary.rejected > 0) {
      console.log(
        `rapport import: rejected rows are in ${summary.rejectsFile} and on ${summary.deadLetterTopic} (\`rapport dlq list --source csv\`)`,
      );
    }
    return summary.rejected === 0 ? 0 : 1;
  },
});

function summaryLine(summary: ImportSummary): string {
  const rate = rowsPerSecond(summary.rows, summary.elapsedMs).toLocaleString('en-US');
  return (
    `rapport import: ${summary.file}: ${summary.rows} rows: ${summary.accepted} accepted, ` +
    `${summary.duplicates} duplicates, ${summary.rejected} rejected in ${seconds(summary.elapsedMs)} (${rate} rows/s)`
  );
}
