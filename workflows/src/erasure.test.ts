import { describe, expect, it } from 'vitest';
import { filterLiteral, isTheirs } from './erasure.js';

describe('which workflows an erasure takes', () => {
  it("takes the customer's engagement workflow and follow-ups, not those of an id it begins", () => {
    expect(isTheirs('customer:acme', 'acme')).toBe(true);
    expect(isTheirs('followup:acme:silence:1767225600000', 'acme')).toBe(true);
    expect(isTheirs('followup:acme:eu:silence:1767225600000', 'acme')).toBe(false);
    expect(isTheirs('customer:acme:eu', 'acme')).toBe(false);
    expect(isTheirs('followup:acme:eu:silence:1767225600000', 'acme:eu')).toBe(true);
    // A threshold crossing is predicted to the fraction of a millisecond, and so is its id.
    expect(isTheirs('followup:acme:threshold:1796630012561.9038', 'acme')).toBe(true);
    expect(isTheirs('followup:acme:eu:threshold:1796630012561.9038', 'acme')).toBe(false);
    expect(isTheirs('followup:acme:threshold:1796630012561.', 'acme')).toBe(false);
  });

  it('quotes an id so that it cannot end the filter and add a clause', () => {
    expect(filterLiteral(`x' OR WorkflowId != '`)).toBe(`'x\\' OR WorkflowId != \\''`);
    expect(filterLiteral('a\\b')).toBe(`'a\\\\b'`);
  });
});
