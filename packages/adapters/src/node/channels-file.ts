import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ChannelSchema, parseWith, type Issue, type ParseResult } from '@rapport/schema';
import { parseYaml } from '../yaml-document.js';
import { PROVIDERS } from './providers.js';

/**
 * One channel of the channels file. Besides these two fields, the entry holds its scheme's
 * options (secrets, a public key, a tolerance), which the scheme parses: they depend on the
 * provider, or, for an entry without one, on the channel of its name.
 */
const PROVIDER_NAMES = PROVIDERS.map((provider) => provider.name);

const ChannelEntrySchema = z.looseObject({
  /**
   * A provider of the registry. Without one, the entry configures the built-in or mapping-file
   * channel of its name, verified by that channel's own scheme.
   */
  provider: z
    .enum(PROVIDER_NAMES, {
      error: `expected a provider of the registry: ${PROVIDER_NAMES.join(', ')}`,
    })
    .optional(),
  /**
   * The public URL the provider was given, exactly (schemes that sign the URL, such as Twilio's,
   * verify it); without it, the URL the request names.
   */
  url: z.url({ protocol: /^https?$/ }).optional(),
});
export type ChannelEntry = z.infer<typeof ChannelEntrySchema>;

/**
 * `RAPPORT_CHANNELS_FILE`, YAML or JSON: `channels`, by the name that is each channel's path
 * (`POST /v1/channels/<name>`). docs/channels.md documents it. Entries are checked one by one
 * (`channelEntry`), so that every entry's problems are reported at once.
 */
const ChannelsFileSchema = z.strictObject({ channels: z.record(z.string(), z.unknown()) });

/** The file's entries by name, unchecked, or what keeps it from being read; never a value of it. */
export async function readChannelsFile(
  path: string,
): Promise<ParseResult<Readonly<Record<string, unknown>>>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    return { ok: false, issues: [{ path: '', message: `cannot read: ${reason}` }] };
  }
  const parsed = parseYaml(text, ChannelsFileSchema);
  return parsed.ok ? { ok: true, value: parsed.value.channels } : parsed;
}

/** Issues at a place in the file: `channels.billing`, `channels.billing.secrets`. */
export const under = (prefix: string, issues: readonly Issue[]): Issue[] =>
  issues.map(({ path, message }) => ({
    path: path === '' ? prefix : `${prefix}.${path}`,
    message,
  }));

/** One entry: its name (a channel slug) and common fields checked, issues at `channels.<name>`. */
export function channelEntry(name: string, raw: unknown): ParseResult<ChannelEntry> {
  const at = `channels.${name}`;
  const named = parseWith(ChannelSchema, name);
  if (!named.ok) return { ok: false, issues: under(at, named.issues) };
  const entry = parseWith(ChannelEntrySchema, raw);
  return entry.ok ? entry : { ok: false, issues: under(at, entry.issues) };
}
