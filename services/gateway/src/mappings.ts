import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { adapterFromMapping, parseChannelMapping, type ChannelAdapter } from '@rapport/adapters';

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
