import { fileURLToPath } from 'node:url';
import { DurationSchema, readYamlFile, WebhookUrlSchema, type Config } from '@rapport/config';
import { CodedError, type Issue } from '@rapport/schema';
import { z } from 'zod';
import {
  CloseStepSchema,
  DestinationSchema,
  EngagementSettingsSchema,
  EscalateStepSchema,
  NotifyStepSchema,
  PlaybookSchema,
  PlaybooksSchema,
  type Destination,
  type EngagementSettings,
  type EngagementSettingsInput,
  type Playbook,
  type StepDestinations,
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

/**
 * A notify or escalate step of the file may name where it goes (see `StepDestinations`): a
 * `destination` configured by name, or a webhook `url` of its own; the configured webhook if
 * neither.
 */
const withDestination = <Shape extends z.ZodRawShape>(step: z.ZodObject<Shape>) =>
  z
    .strictObject({
      ...step.shape,
      destination: DestinationSchema.optional(),
      url: WebhookUrlSchema.optional(),
    })
    .refine(
      (fields: { destination?: unknown; url?: unknown }) => !fields.destination || !fields.url,
      {
        message: 'give a destination or a url, not both',
        path: ['url'],
      },
    );

const FileStepSchema = z.discriminatedUnion('kind', [
  withDestination(NotifyStepSchema),
  withDestination(EscalateStepSchema),
  /** In the file, a wait is written `upTo: 7d`; in the workflow it is milliseconds. */
  z
    .strictObject({ kind: z.literal('wait'), upTo: DurationSchema })
    .transform(({ upTo }) => ({ kind: 'wait' as const, upToMs: upTo })),
  CloseStepSchema,
]);
type FileStep = z.output<typeof FileStepSchema>;

/** Where a step goes when it names a destination or a URL of its own. */
function destinationOf(step: FileStep): Destination | undefined {
  if (step.kind !== 'notify' && step.kind !== 'escalate') return undefined;
  return step.url === undefined ? step.destination : { kind: 'webhook', url: step.url };
}

/** The steps that go elsewhere than the configured webhook, by playbook and step index. */
function stepDestinationsOf(
  playbooks: readonly { name: string; steps: readonly FileStep[] }[],
): StepDestinations {
  return new Map(
    playbooks.flatMap(({ name, steps }) => {
      const named = steps.flatMap((step, index): [number, Destination][] => {
        const destination = destinationOf(step);
        return destination === undefined ? [] : [[index, destination]];
      });
      return named.length === 0 ? [] : [[name, new Map(named)] as const];
    }),
  );
}

/**
 * The file gives the workflows' playbooks, checked as the workflows use them (which drops where
 * steps go: see `StepSchema`), and where the steps go, which only the worker keeps.
 */
const PlaybookFileSchema = z
  .strictObject({
    playbooks: z.array(PlaybookSchema.extend({ steps: z.array(FileStepSchema).min(1).max(50) })),
  })
  .transform(({ playbooks }) => ({ playbooks, steps: stepDestinationsOf(playbooks) }))
  .pipe(z.strictObject({ playbooks: PlaybooksSchema, steps: z.custom<StepDestinations>() }));
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
