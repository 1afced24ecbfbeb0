import { z } from 'zod';
import { DropFactsSchema } from '../shared/definitions.js';

/**
 * What a notify or escalate step says, whatever its destination: the generic webhook receives it
 * as its JSON body; Slack and email receive it written out for people (message.ts).
 */
export const NotificationSchema = z.object({
  type: z.enum(['followup.notify', 'followup.escalate']),
  followUpId: z.string(),
  customerId: z.string(),
  playbook: z.string(),
  /** The step's position in the playbook. */
  step: z.int().min(0),
  message: z.string(),
  trigger: z.string(),
  stage: z.string(),
  /** The instant of the drop that started the follow-up (ISO-8601). */
  dropAt: z.string(),
  /** The customer at the drop, in numbers; absent from follow-ups started before they were given. */
  facts: DropFactsSchema.optional(),
});
export type Notification = z.infer<typeof NotificationSchema>;
