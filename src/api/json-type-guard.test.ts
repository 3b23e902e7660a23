/**
 * `jsonLiteralMismatch` on hand-written schemas of the shapes the bodies use (TypeBox's output):
 * each case says by hand whether the literal is one the schema takes at that place.
 */
import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { givenFieldsFirst } from './given-fields-first.js';
import { jsonLiteralMismatch } from './json-type-guard.js';

const Order = Type.Object(
  {
    symbol: Type.String(),
    leverage: Type.Optional(Type.Integer({ minimum: 1 })),
    reduceOnly: Type.Optional(Type.Boolean()),
    note: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    mode: Type.Optional(Type.Union([Type.Literal('live'), Type.Literal('paper')])),
    legs: Type.Optional(Type.Array(Type.Object({ price: Type.String() }))),
    balances: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Z]+$' }), Type.String())),
  },
  { additionalProperties: false },
);

describe('JSON literals a body schema does not take', () => {
  const at = (value: unknown) => jsonLiteralMismatch(Order, value)?.instancePath;

  it('finds true, false and null where the field takes none of them, at their path', () => {
    expect(at({ symbol: true })).toBe('/symbol');
    expect(at({ symbol: 'X', leverage: false })).toBe('/leverage');
    expect(at({ symbol: 'X', leverage: null })).toBe('/leverage');
    expect(at({ symbol: 'X', mode: true })).toBe('/mode');
    expect(at({ symbol: 'X', legs: [{ price: '1' }, { price: null }] })).toBe('/legs/1/price');
    expect(at({ symbol: 'X', balances: { USDT: '1', BTC: true } })).toBe('/balances/BTC');
    expect(at(null)).toBe('');
    expect(jsonLiteralMismatch(Order, { symbol: 'X', leverage: true })).toMatchObject({ keyword: 'type', params: { type: 'integer' } });
  });

  it('passes what the schema takes, and what the validator judges (numbers, texts, unknown fields, wrong shapes)', () => {
    expect(at({ symbol: 'X', reduceOnly: false, note: null })).toBeUndefined();
    expect(at({ symbol: 12, leverage: '5', legs: [{ price: 1.5 }], balances: { usdt: '1' } })).toBeUndefined();
    expect(at({ symbol: 'X', colour: true })).toBeUndefined(); // an unknown field: the validator names it
    expect(at({ symbol: ['X'], legs: 'x' })).toBeUndefined(); // a list or an object where a value goes: the validator's
  });

  it('reads the allOf that givenFieldsFirst writes as the schema it came from', () => {
    const reordered = givenFieldsFirst(Order);
    for (const value of [{ symbol: true }, { symbol: 'X', leverage: null }, { symbol: 'X', legs: [{ price: false }] }, { symbol: 'X', reduceOnly: true, note: null }]) {
      expect(jsonLiteralMismatch(reordered, value)?.instancePath).toBe(at(value));
    }
  });
});
