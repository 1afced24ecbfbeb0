/**
 * The gateway refuses requests over 500 KB; batches stop short of that whatever their count,
 * with room for the `{"batch":[...]}` around the events.
 */
const MAX_BATCH_BYTES = 400 * 1024;

/**
 * Items in order, in batches of at most `maxItems` and of MAX_BATCH_BYTES of events (an item
 * larger than that alone goes on its own).
 */
export async function* batched<T extends { readonly bytes: number }>(
  items: AsyncIterable<T>,
  maxItems: number,
): AsyncGenerator<T[], void, undefined> {
  let batch: T[] = [];
  let bytes = 0;
  for await (const item of items) {
    if (bytes + item.bytes > MAX_BATCH_BYTES && batch.length > 0) {
      yield batch;
      [batch, bytes] = [[], 0];
    }
    batch.push(item);
    bytes += item.bytes;
    if (batch.length >= maxItems) {
      yield batch;
      [batch, bytes] = [[], 0];
    }
  }
  if (batch.length > 0) yield batch;
}
