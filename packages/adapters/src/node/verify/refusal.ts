import type { Refusal, Verdict } from './scheme.js';

/** A scheme's refusal: its code, and a message that never quotes a secret or a signature. */
export const refuse = (code: Refusal, message: string): Verdict => ({ ok: false, code, message });
