import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  adapterFromMapping,
  builtInAdapters,
  parseChannelMapping,
  type ChannelAdapter,
} from '@rapport/adapters';
import type { Config } from '@rapport/config';

/** Declarative channels: every `*.json`, `*.yaml` or `*.yml` file in the mappings folder. */
export async function loadChannelMappings(dir: string | undefined): Promise<ChannelAdapter[]> {
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
 * The channels a gateway with this configuration serves: the built-in adapters, then the mapping
 * files, a later one replacing an earlier one of the same channel. `rapport dlq replay` asks the
 * same question, so both get the same answer.
 */
export async function channelAdapters(config: Config): Promise<ChannelAdapter[]> {
  const all = [
    ...builtInAdapters,
    ...(await loadChannelMappings(config.gateway.channelMappingsDir)),
  ];
  return [...new Map(all.map((adapter) => [adapter.channel, adapter])).values()];
}
