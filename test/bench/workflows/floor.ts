import { condition, defineSignal, setHandler } from '@temporalio/workflow';

// The SDK's floor for bench:worker: a customer workflow that takes its events and does nothing.
const events = defineSignal<[unknown]>('events');

export async function customerEngagement(): Promise<void> {
  let signals = 0;
  setHandler(events, () => {
    signals += 1;
  });
  await condition(() => signals < 0);
}
