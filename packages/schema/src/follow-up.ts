import { z } from 'zod';

/**
 * The query API's admin route `POST /v1/customers/:id/follow-ups` (`rapport followup start`): a
 * person asks the customer's workflow for a follow-up now. The API validates the body with this
 * and the CLI checks `--playbook` with it; the workflow's signal takes the same shape.
 */
export const FollowUpBodySchema = z.strictObject({
  playbook: z
    .string()
    .max(128)
    .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'expected a playbook name such as "win-back"')
    .optional()
    .describe(
      "the playbook to run; when left out, the first whose triggers include `manual` for the customer's stage",
    ),
});
export type FollowUpBody = z.infer<typeof FollowUpBodySchema>;
