import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChannelAdapter } from '../adapter.js';
import { builtInAdapters } from '../builtins.js';
import { adapterFromMapping, parseChannelMapping } from '../mapping.js';
import { fileIssue } from '../yaml-document.js';
import { SCHEMES } from './providers.js';
import type { VerificationScheme } from './verify/scheme.js';

/** A mapping file's channel: its adapter, and the verification scheme its `signature` names. */
export interface MappedChannel {
  readonly adapter: ChannelAdapter;
  /** Absent: the generic HMAC-SHA256 in the adapter's header. */
  readonly scheme?: VerificationScheme<unknown>;
}

/** Declarative channels: every `*.json`, `*.yaml` or `*.yml` file in the mappings folder. */
export async function loadChannelMappings(dir: string | undefined): Promise<MappedChannel[]> {
  if (dir === undefined) return [];
  const files = (await readdir(dir)).filter((file) => /\.(json|ya?ml)$/.test(file)).sort();
  const channels: MappedChannel[] = [];
  const errors: string[] = [];
  for (const file of files) {
    const parsed = parseChannelMapping(await readFile(join(dir, file), 'utf8'), file);
    if (!parsed.ok) {
      errors.push(...parsed.errors);
      continue;
    }
    const { signature } = parsed.mapping;
    const adapter = adapterFromMapping(parsed.mapping);
    if (signature === undefined || !('scheme' in signature)) {
      channels.push({ adapter });
      continue;
    }
    const scheme = SCHEMES.get(signature.scheme);
    if (scheme !== undefined) channels.push({ adapter, scheme });
    else {
      const known = [...SCHEMES.keys()].sort().join(', ');
      const message = `no verification scheme "${signature.scheme}"; known: ${known}`;
      errors.push(fileIssue(file, { path: 'signature.scheme', message }));
    }
  }
  if (errors.length > 0) {
    throw new Error(
      `invalid channel mappings in ${dir} (RAPPORT_CHANNEL_MAPPINGS_DIR):\n  ${errors.join('\n  ')}`,
    );
  }
  return channels;
}

/**
 * The adapters of the channels a gateway with these settings (its `gateway` configuration)
 * declares without the channels file: the built-in adapters, then the mapping files, a later one
 * replacing an earlier one of the same channel. `rapport dlq replay` asks the same question, so
 * both get the same answer.
 */
export async function channelAdapters(settings: {
  readonly channelMappingsDir?: string | undefined;
}): Promise<ChannelAdapter[]> {
  const mapped = await loadChannelMappings(settings.channelMappingsDir);
  const all = [...builtInAdapters, ...mapped.map((channel) => channel.adapter)];
  return [...new Map(all.map((adapter) => [adapter.channel, adapter])).values()];
}
