import { z } from 'zod';

/**
 * What schemes' options share. A channel's secrets: one, or two while a secret is rotated (the
 * provider signs with the new one while the old one may still sign retries), and either verifies.
 * Messages never quote a value.
 */
export const SecretsSchema = z
  .array(z.string().min(1, 'expected a secret, not an empty string'))
  .min(1, 'expected a secret')
  .max(2, 'at most two secrets: the current one and the next, during a rotation');

/**
 * How long after its timestamp a signed request is accepted, in seconds, either way (a provider's
 * clock may run ahead): the provider's documented default unless the channel says otherwise.
 */
export const toleranceSecondsSchema = (defaultSeconds: number) =>
  z.number().int().min(1).max(3_600).default(defaultSeconds);
