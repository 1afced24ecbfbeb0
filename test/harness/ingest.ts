import { ErrorSchema, IngestResultSchema } from '@rapport/schema';
import { TEST_WRITE_KEY } from './keys.js';
import { sleep } from './processes.js';

/** One answer a sender got: its status, when, and how many events it accepted. */
export interface IngestAnswer {
  readonly status: number;
  readonly at: number;
  readonly accepted: number;
  /** The error's code, for a refusal. */
  readonly code?: string;
}

/**
 * Posts `batches` to a gateway's `/v1/interactions` from `senders` clients at once, as clients
 * riding out an outage would: a request refused with one of the `retriable` codes is sent again
 * 250 ms later, any other refusal fails `done`. `answers` fills as they come, so that a test can
 * strike in the middle of the ingest.
 */
export function ingestRetrying(
  port: number,
  batches: readonly (readonly object[])[],
  { senders, retriable }: { readonly senders: number; readonly retriable: readonly string[] },
): { readonly answers: IngestAnswer[]; readonly done: Promise<void> } {
  const answers: IngestAnswer[] = [];
  const send = async (batch: readonly object[]) => {
    for (;;) {
      const response = await fetch(`http://127.0.0.1:${port}/v1/interactions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_WRITE_KEY}` },
        body: JSON.stringify({ batch }),
      });
      const body: unknown = await response.json();
      if (response.ok) {
        const { accepted } = IngestResultSchema.parse(body);
        answers.push({ status: response.status, at: Date.now(), accepted });
        return;
      }
      const { error } = ErrorSchema.parse(body);
      answers.push({ status: response.status, at: Date.now(), accepted: 0, code: error.code });
      if (!retriable.includes(error.code)) {
        throw new Error(`refused with ${response.status} ${error.code}: ${error.message}`);
      }
      await sleep(250);
    }
  };
  let next = 0;
  const sender = async () => {
    for (let index = next++; index < batches.length; index = next++) {
      await send(batches[index] ?? []);
      await sleep(50);
    }
  };
  const done = Promise.all(Array.from({ length: senders }, sender)).then(() => undefined);
  return { answers, done };
}
