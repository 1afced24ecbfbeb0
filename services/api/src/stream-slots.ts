/**
 * Caps on open Server-Sent Events connections, in all and per key: each holds a socket, memory
 * for its unsent changes and a share of the fan-out, so one key's clients cannot take them all.
 */
export class StreamSlots {
  readonly #perKey = new Map<string, number>();
  #total = 0;

  constructor(
    private readonly maxTotal: number,
    private readonly maxPerKey: number,
  ) {}

  /** A slot for `keyId` and the function that gives it back (once), or undefined at a cap. */
  take(keyId: string): (() => void) | undefined {
    const held = this.#perKey.get(keyId) ?? 0;
    if (this.#total >= this.maxTotal || held >= this.maxPerKey) return undefined;
    this.#total += 1;
    this.#perKey.set(keyId, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#total -= 1;
      const left = (this.#perKey.get(keyId) ?? 1) - 1;
      if (left === 0) this.#perKey.delete(keyId);
      else this.#perKey.set(keyId, left);
    };
  }
}
