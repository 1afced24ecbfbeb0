import { fetchAll } from '@rapport/infra';
import { defineCommand } from '../command.js';
import { say, seconds } from '../output.js';

export const fetchCommand = defineCommand({
  name: 'fetch',
  synopsis: 'fetch',
  summary: `Download the embedded infrastructure (done by \`up\` too) and the test
suite's fuzzer into the cache; install its browser (Debian's Chromium).`,
  usage: `Usage: rapport fetch

Downloads the embedded infrastructure (\`rapport up\` does too) and the test suite's fuzzer into
the cache ($RAPPORT_CACHE_DIR), installs the browser of the dashboard's tests (Debian's
Chromium, with apt, when it is not on PATH), archives the classes a Kafka broker loads (a broker
started and stopped once: every broker after starts faster), and prints where each is.`,
  flags: {},
  async run({ config }) {
    const started = performance.now();
    const { binaries, kafkaClasses } = await fetchAll(config.infra.cacheDir);
    say(`cached in ${seconds(performance.now() - started)} under ${config.infra.cacheDir}`);
    for (const [name, path] of Object.entries(binaries)) console.log(`  ${name}: ${path}`);
    const classes =
      'archive' in kafkaClasses
        ? kafkaClasses.archive
        : `not archived, the brokers read their jars (${kafkaClasses.skipped})`;
    console.log(`  kafkaClasses: ${classes}`);
    return 0;
  },
});
