import { FollowUpBodySchema } from '@rapport/schema';
import { FollowUpRequestSchema } from '@rapport/workflows';
import { describe, expect, it } from 'vitest';

describe("the follow-up route's body", () => {
  it("is one the workflow's signal takes whenever the route takes it", () => {
    const accepted = (body: object) => FollowUpBodySchema.safeParse(body).success;
    for (const body of [{}, { playbook: 'win-back' }, { playbook: 'a1-b2-c3' }]) {
      expect(accepted(body), JSON.stringify(body)).toBe(true);
      expect(FollowUpRequestSchema.safeParse(body).success, JSON.stringify(body)).toBe(true);
    }
    for (const body of [
      { playbook: 'Win-Back' },
      { playbook: 'win--back' },
      { playbook: '' },
      { playbook: 'x'.repeat(129) },
      { playbook: 'win-back', extra: true },
    ]) {
      expect(accepted(body), JSON.stringify(body)).toBe(false);
    }
  });
});
