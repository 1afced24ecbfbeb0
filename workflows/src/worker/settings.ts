import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DurationSchema, type Config } from '@rapport/config';
import { parseWith, type Issue } from '@rapport/schema';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import {
  EngagementSettingsSchema,
  PlaybookSchema,
  PlaybooksSchema,
  StepSchema,
  type EngagementSettings,
  type Playbook,
} from '../shared/settings';

export const DEFAULT_PLAYBOOKS_FILE = fileURLToPath(
  new URL('../../playbooks/default.yaml', import.meta.url),
);

/** A playbook file that cannot be used: found at start-up, never later. */
export class PlaybooksError extends Error {
  readonly code = 'PLAYBOOKS_INVALID';
  readonly retriable = false;
  constructor(
    readonly path: string,
    readonly issues: readonly Issue[],
  ) {
    super(
      `Invalid playbooks in ${path}:\n${issues.map((issue) => `  ${issue.path || '(file)'}: ${issue.message}`).join('\n')}`,
    );
    this.name = 'PlaybooksError';
  }
}

/** In the file, a wait is written `upTo: 7d`; in the workflow it is milliseconds. */
const FileStepSchema = z.union([
  z
    .strictObject({ kind: z.literal('wait'), upTo: DurationSchema })
    .transform(({ upTo }) => ({ kind: 'wait' as const, upToMs: upTo })),
  StepSchema,
]);

const PlaybookFileSchema = z
  .strictObject({
    playbooks: z.array(PlaybookSchema.extend({ steps: z.array(FileStepSchema).min(1).max(50) })),
  })
  .transform(({ playbooks }) => playbooks)
  .pipe(PlaybooksSchema);

export async function loadPlaybooks(path: string): Promise<Playbook[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new PlaybooksError(path, [{ path: '', message: `cannot read: ${String(error)}` }]);
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new PlaybooksError(path, [{ path: '', message: `not YAML: ${String(error)}` }]);
  }
  const parsed = parseWith(PlaybookFileSchema, document);
  if (!parsed.ok) throw new PlaybooksError(path, parsed.issues);
  return parsed.value;
}

/** The customer workflow's settings from the one configuration and the playbooks. */
export function engagementSettings(config: Config, playbooks: Playbook[]): EngagementSettings {
  const { engagement } = config;
  return EngagementSettingsSchema.parse({
    sla: engagement.sla,
    ...(engagement.dropThreshold === undefined ? {} : { dropThreshold: engagement.dropThreshold }),
    relativeDrop: engagement.relativeDrop,
    onboardingSilenceMs: engagement.onboardingSilenceMs,
    trustBreachBelow: engagement.trustBreachBelow,
    followUpCooldownMs: engagement.followUpCooldownMs,
    playbooks,
  });
}
