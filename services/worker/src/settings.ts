import { fileURLToPath } from 'node:url';
import { DurationSchema, readYamlFile, WebhookUrlSchema, type Config } from '@rapport/config';
import { CodedError, type Issue } from '@rapport/schema';
import { z } from 'zod';
import {
  CloseStepSchema,
  EngagementSettingsSchema,
  EscalateStepSchema,
  NotifyStepSchema,
  PlaybookSchema,
  PlaybooksSchema,
  type EngagementSettings,
  type EngagementSettingsInput,
  type Playbook,
  type StepUrls,
} from '@rapport/workflows';

export const DEFAULT_PLAYBOOKS_FILE = fileURLToPath(
  new URL('../playbooks/default.yaml', import.meta.url),
);

/** A playbook file that cannot be used: found at start-up, never later. */
export class PlaybooksError extends CodedError<'PLAYBOOKS_INVALID'> {
  constructor(
    readonly path: string,
    readonly issues: readonly Issue[],
  ) {
    super(
      'PLAYBOOKS_INVALID',
      `Invalid playbooks in ${path}:\n${issues.map((issue) => `  ${issue.path || '(file)'}: ${issue.message}`).join('\n')}`,
    );
  }
}

/** A notify or escalate step of the file may name a URL of its own (see `StepUrls`). */
const withOwnUrl = <Shape extends z.ZodRawShape>(step: z.ZodObject<Shape>) =>
  z.strictObject({ ...step.shape, url: WebhookUrlSchema.optional() });

const FileStepSchema = z.discriminatedUnion('kind', [
  withOwnUrl(NotifyStepSchema),
  withOwnUrl(EscalateStepSchema),
  /** In the file, a wait is written `upTo: 7d`; in the workflow it is milliseconds. */
  z
    .strictObject({ kind: z.literal('wait'), upTo: DurationSchema })
    .transform(({ upTo }) => ({ kind: 'wait' as const, upToMs: upTo })),
  CloseStepSchema,
]);
type FileStep = z.output<typeof FileStepSchema>;

/** Where steps post that name a URL of their own, by playbook and step index. */
function stepUrlsOf(playbooks: readonly { name: string; steps: readonly FileStep[] }[]): StepUrls {
  return new Map(
    playbooks.flatMap(({ name, steps }) => {
      const urls = steps.flatMap((step, index): [number, string][] =>
        'url' in step && step.url !== undefined ? [[index, step.url]] : [],
      );
      return urls.length === 0 ? [] : [[name, new Map(urls)] as const];
    }),
  );
}

/**
 * The file gives the workflows' playbooks, checked as the workflows use them (which drops the
 * steps' URLs: see `StepSchema`), and the URLs, which only the worker keeps.
 */
const PlaybookFileSchema = z
  .strictObject({
    playbooks: z.array(PlaybookSchema.extend({ steps: z.array(FileStepSchema).min(1).max(50) })),
  })
  .transform(({ playbooks }) => ({ playbooks, stepUrls: stepUrlsOf(playbooks) }))
  .pipe(z.strictObject({ playbooks: PlaybooksSchema, stepUrls: z.custom<StepUrls>() }));
export type PlaybookFile = z.output<typeof PlaybookFileSchema>;

export function loadPlaybooks(path: string): Promise<PlaybookFile> {
  return readYamlFile(path, PlaybookFileSchema, (issues) => new PlaybooksError(path, issues));
}

/**
 * The customer workflow's settings from the one configuration, the playbooks and the model's
 * parameters (the projector's and the API's: see loadModelParams).
 */
export function engagementSettings(
  config: Config,
  playbooks: Playbook[],
  model: EngagementSettingsInput['model'] = {},
): EngagementSettings {
  const { engagement } = config;
  return EngagementSettingsSchema.parse({
    model,
    sla: engagement.sla,
    ...(engagement.dropThreshold === undefined ? {} : { dropThreshold: engagement.dropThreshold }),
    relativeDrop: engagement.relativeDrop,
    onboardingSilenceMs: engagement.onboardingSilenceMs,
    trustBreachBelow: engagement.trustBreachBelow,
    followUpCooldownMs: engagement.followUpCooldownMs,
    lateArrivalGraceMs: engagement.allowedLatenessMs,
    playbooks,
  });
}
