import { IdSchema, InstantSchema, InteractionSchema } from '@rapport/schema';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Components, instantPattern, portablePattern } from './components.js';

describe('portablePattern', () => {
  it('spells out the Unicode properties zod schemas use', () => {
    expect(portablePattern('^\\P{Cc}*$')).toBe('^[^\\x00-\\x1f\\x7f-\\x9f]*$');
    expect(new RegExp(portablePattern('^\\P{Cc}*$')).test('a\u0085b')).toBe(false);
    expect(new RegExp(portablePattern('^\\P{Cs}*$')).test('any\nthing')).toBe(true);
  });

  it('refuses a property it cannot spell, rather than dropping the constraint', () => {
    expect(() => portablePattern('^\\p{L}+$')).toThrow(/no class/);
  });
});

describe('instantPattern', () => {
  const zodPattern = z.toJSONSchema(InstantSchema, { target: 'openapi-3.0' }).pattern ?? '';
  const accepts = (text: string) => new RegExp(instantPattern(zodPattern)).test(text);

  it('accepts the years InstantSchema accepts, 1970 through 2100', () => {
    for (const text of [
      '1970-01-01T00:00:00Z',
      '2026-05-01T09:30:00.5+02:00',
      '2100-12-31T23:59:59Z',
    ]) {
      expect(accepts(text), text).toBe(true);
      expect(InstantSchema.safeParse(text).success, text).toBe(true);
    }
  });

  it('refuses the years it refuses, and 29 February outside leap years', () => {
    for (const text of ['1969-12-31T23:59:59Z', '2101-01-01T00:00:00Z', '2100-02-29T00:00:00Z']) {
      expect(accepts(text), text).toBe(false);
      expect(InstantSchema.safeParse(text).success, text).toBe(false);
    }
    expect(accepts('2096-02-29T00:00:00Z')).toBe(true);
  });
});

describe('Components', () => {
  it('moves zod definitions into components, once for equal ones', () => {
    const components = new Components();
    const interaction = components.add('Interaction', InteractionSchema, 'input');
    components.add('Batch', z.object({ batch: z.array(InteractionSchema) }), 'input');
    const text = JSON.stringify(components.schemas);
    expect(interaction).toEqual({ $ref: '#/components/schemas/Interaction' });
    expect(text).not.toContain('#/definitions/');
    expect(Object.keys(components.schemas)).toEqual([
      'Interaction.__schema0',
      'Interaction',
      'Batch',
    ]);
  });

  it('narrows instants and spells out patterns wherever they are', () => {
    const schema = new Components().inline(
      z.object({ at: InstantSchema, id: IdSchema }),
      'input',
      'Probe',
    );
    const text = JSON.stringify(schema);
    expect(text).toContain('2100');
    expect(text).not.toContain('\\\\P{');
  });
});
