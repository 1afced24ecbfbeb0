import { ErrorSchema, IngestResultSchema } from '@rapport/schema';
import { TEST_WRITE_KEY } from './keys.js';
import { sleep } from './processes.js';

/** One answer a sender got: its status, when, and how many events it accepted. */
interface IngestAnswer {
  readonly status: number;
  readonly at: number;
  readonly accepted: number;
  /** The error's code, for a refusal. */
  readonly code?: string;
}

/** What the senders were answered from an instant on: how many, and the refusals among them. */
interface AnswersSince {
  readonly answers: number;
  readonly refusals: number;
  readonly codes: readonly string[];
  /** From the instant to the last refusal (0 without one). */
  readonly lastRefusalMs: number;
}

/** How long a test may wait for a share of the batches to be acknowledged. */
const ACKNOWLEDGED_WITHIN_MS = 60_000;

/**
 * Posts `events` to a gateway's `/v1/interactions` in batches of `batchSize`, from `senders`
 * clients at once, as clients riding out an outage would: a request refused with one of the
 * `retriable` codes is sent again 250 ms later, any other refusal fails `done`. A test strikes
 * in the middle (`acknowledged`), then reads what the senders were answered.
 */
export function ingestRetrying(
  port: number,
  events: readonly object[],
  options: {
    readonly batchSize: number;
    readonly senders: number;
    readonly retriable: readonly string[];
  },
) {
  const batches = Array.from({ length: Math.ceil(events.length / options.batchSize) }, (_, index) =>
    events.slice(index * options.batchSize, (index + 1) * options.batchSize),
  );
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
      if (!options.retriable.includes(error.code)) {
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
  const done = Promise.all(Array.from({ length: options.senders }, sender)).then(() => undefined);
  let failed = false;
  done.catch(() => (failed = true)); // Surfaced by `acknowledged` or by awaiting `done`.
  const acceptedBatches = () => answers.filter((answer) => answer.status === 202).length;
  return {
    done,
    /** Resolves once this share of the batches is acknowledged; fails with the senders. */
    async acknowledged(share: number): Promise<void> {
      const deadline = Date.now() + ACKNOWLEDGED_WITHIN_MS;
      while (acceptedBatches() < batches.length * share) {
        if (failed) await done;
        if (Date.now() > deadline) throw new Error(`${acceptedBatches()} batches acknowledged`);
        await sleep(20);
      }
    },
    /** Events accepted in all: each once, however often its batch was sent. */
    accepted: () => answers.reduce((sum, answer) => sum + answer.accepted, 0),
    since(at: number): AnswersSince {
      const after = answers.filter((answer) => answer.at > at);
      const refused = after.filter((answer) => answer.status !== 202);
      return {
        answers: after.length,
        refusals: refused.length,
        codes: [...new Set(refused.flatMap((answer) => answer.code ?? []))],
        lastRefusalMs: Math.max(at, ...refused.map((answer) => answer.at)) - at,
      };
    },
  };
}
