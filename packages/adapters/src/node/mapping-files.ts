import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChannelAdapter } from '../adapter.js';
import { builtInAdapters } from '../builtins.js';
import { adapterFromMapping, parseChannelMapping } from '../mapping.js';

/** Declarative channels: every `*.json`, `*.yaml` or `*.yml` file in the mappings folder. */
async function loadChannelMappings(dir: string | undefined): Promise<ChannelAdapter[]> {
  if (dir === undefined) return [];
  const files = (await readdir(dir)).filter((file) => /\.(json|ya?ml)$/.test(file)).sort();
  const adapters: ChannelAdapter[] = [];
  const errors: string[] = [];
  for (const file of files) {
    const parsed = parseChannelMapping(await readFile(join(dir, file), 'utf8'), file);
    if (parsed.ok) adapters.push(adapterFromMapping(parsed.mapping));
    else errors.push(...parsed.errors);
  }
  if (errors.length > 0) {
    throw new Error(
      `invalid channel mappings in ${dir} (RAPPORT_CHANNEL_MAPPINGS_DIR):\n  ${errors.join('\n  ')}`,
    );
  }
  return adapters;
}

/**
 * The channels a gateway with these settings (its `gateway` configuration) serves: the built-in
 * adapters, then the mapping files, a later one replacing an earlier one of the same channel.
 * `rapport dlq replay` asks the same question, so both get the same answer.
 */
export async function channelAdapters(settings: {
  readonly channelMappingsDir?: string | undefined;
}): Promise<ChannelAdapter[]> {
  const all = [...builtInAdapters, ...(await loadChannelMappings(settings.channelMappingsDir))];
  return [...new Map(all.map((adapter) => [adapter.channel, adapter])).values()];
}
