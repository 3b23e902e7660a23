/**
 * JSON numbers read as written: the expected decimals are written out by hand; the fast path is
 * checked against the exact parse on generated texts (fast-check).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonNumberRangeError, mayLoseDigits, numberOfToken, parseJsonExactly, plainDecimalOf, reparseNumbers } from './exact-json.js';

describe('a JSON number as the route receives it', () => {
  it('keeps the text of a number whose double would change it, as a string', () => {
    expect(numberOfToken('1234567890.12345678')).toBe('1234567890.12345678'); // JSON.parse: 1234567890.1234567
    expect(numberOfToken('12345678901234.5678')).toBe('12345678901234.5678'); // JSON.parse: 12345678901234.568
    expect(numberOfToken('9007199254740993')).toBe('9007199254740993'); // 2^53 + 1; JSON.parse: 9007199254740992
    expect(numberOfToken('-0.009999999999999999')).toBe('-0.009999999999999999'); // JSON.parse: -0.009999999999999998
    expect(numberOfToken('0.010000000000000001')).toBe('0.010000000000000001'); // JSON.parse: 0.01
    expect(numberOfToken('1.50')).toBe('1.50');
    expect(numberOfToken('-0')).toBe('-0');
    expect(numberOfToken('0.0000001')).toBe('0.0000001'); // String(1e-7) is "1e-7"
    expect(numberOfToken('1000000000000000000000')).toBe('1000000000000000000000'); // String(1e21) is "1e+21"
  });

  it('leaves a number whose double prints back as its text a JS number: ids, timestamps, 0.1', () => {
    for (const [token, value] of [['0.1', 0.1], ['5000', 5000], ['1723161300000', 1723161300000], ['9007199254740991', 9007199254740991], ['-2.5', -2.5], ['0', 0], ['0.000001', 0.000001], ['60000.01', 60000.01]] as const) {
      expect(numberOfToken(token)).toBe(value);
    }
  });

  it('writes an exponent form out as its exact plain decimal, then applies the same rule', () => {
    expect(plainDecimalOf('1e-7')).toBe('0.0000001');
    expect(plainDecimalOf('2.5E3')).toBe('2500');
    expect(plainDecimalOf('-1.25e-3')).toBe('-0.00125');
    expect(plainDecimalOf('1.50e1')).toBe('15.0');
    expect(plainDecimalOf('0.0001e2')).toBe('0.01');
    expect(plainDecimalOf('123456789012345678e-8')).toBe('1234567890.12345678');
    expect(plainDecimalOf('12.5e+0')).toBe('12.5');
    expect(plainDecimalOf('7E+02')).toBe('700');
    expect(plainDecimalOf('1e100')).toBe(`1${'0'.repeat(100)}`);
    expect(numberOfToken('1e-7')).toBe('0.0000001');
    expect(numberOfToken('2.5E3')).toBe(2500);
    expect(numberOfToken('5e3')).toBe(5000);
    expect(numberOfToken('123456789012345678e-8')).toBe('1234567890.12345678');
  });

  it('refuses an exponent beyond ±100, however it is written', () => {
    for (const token of ['1e400', '1e-400', '1e101', '-1E-101', '1e00000000000000000000000000001000']) {
      expect(() => numberOfToken(token), token).toThrow(JsonNumberRangeError);
    }
    expect(() => numberOfToken('1e400')).toThrow('the JSON number 1e400 is out of range: exponents from -100 to 100 are written out; send the plain decimal, as a string');
    expect(numberOfToken('1e0000000000000000000000000000000000100')).toBe(`1${'0'.repeat(100)}`);
  });
});

describe('a JSON text parsed exactly', () => {
  it('reads numbers in nested arrays and objects as written, and leaves strings and other values alone', () => {
    const text = '{"orders":[[1234567890.12345678,[1e-7,{"q":12345678901234.5678}]],0.1,"1e-7",true,null],"id":1723161300000}';
    expect(parseJsonExactly(text)).toEqual({ orders: [['1234567890.12345678', ['0.0000001', { q: '12345678901234.5678' }]], 0.1, '1e-7', true, null], id: 1723161300000 });
  });

  it('keeps the last of duplicated keys, as JSON.parse does, whichever is exact', () => {
    expect(parseJsonExactly('{"quantity":1234567890.12345678,"quantity":0.5}')).toEqual({ quantity: 0.5 });
    expect(parseJsonExactly('{"quantity":0.5,"quantity":1234567890.12345678}')).toEqual({ quantity: '1234567890.12345678' });
    expect(parseJsonExactly('{"a":{"b":1},"a":{"c":1e-7}}')).toEqual({ a: { c: '0.0000001' } });
  });

  it('refuses the texts JSON.parse refuses, and a number-bearing text nested too deeply with a SyntaxError, not a crash', () => {
    for (const text of ['{"a":1234567890.12345678', '{"a":01.5}', '{"a":1.}', '{"a":.5}', '{"a":+1}', '{"a":1e}', '[1234567890.12345678,]', '{1234567890123456789:1}', "{'a':1e-7}", '{"a":NaN}']) {
      expect(() => JSON.parse(text), text).toThrow(SyntaxError);
      expect(() => parseJsonExactly(text), text).toThrow(SyntaxError);
    }
    const deep = `${'['.repeat(200_000)}1e-7${']'.repeat(200_000)}`;
    expect(() => parseJsonExactly(deep)).toThrow(SyntaxError);
  });

  it('keeps a "__proto__" key an own property, as JSON.parse does', () => {
    const value = parseJsonExactly('{"__proto__":{"polluted":1e-7},"q":1234567890.12345678}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__', 'q']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('takes the fast path only when no number token can change: its result then equals the exact parse', () => {
    expect(mayLoseDigits('{"symbol":"BTCUSDT","side":"BUY","type":"LIMIT","quantity":"0.010","price":"60000.00"}')).toBe(false);
    expect(mayLoseDigits('{"symbol":"BTCUSDT","quantity":0.01,"price":60000.01,"recvWindow":5000}')).toBe(false);
    expect(mayLoseDigits('{"quantity":1234567890.12345678}')).toBe(true);
    expect(mayLoseDigits('[0.5,\n\t 1e-7]')).toBe(true);
    expect(mayLoseDigits('1.50')).toBe(true);
    expect(mayLoseDigits('{"a":[1,[2,[-0]]]}')).toBe(true);
    // Inside a string: a needless slow parse, never a wrong value.
    expect(mayLoseDigits('{"note":"a:1.50"}')).toBe(true);
  });

  it('gives the same value on both paths for generated texts, and every number as written (property)', () => {
    const digits = (min: number, max: number) => fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((d) => d.join(''));
    const token = fc
      .tuple(fc.boolean(), fc.oneof(fc.constant('0'), fc.tuple(fc.constantFrom(...'123456789'), digits(0, 22)).map(([a, b]) => a + b)), fc.option(digits(1, 22)), fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), digits(1, 3))))
      .map(([negative, whole, fraction, exponent]) => `${negative ? '-' : ''}${whole}${fraction === null ? '' : `.${fraction}`}${exponent === null ? '' : exponent.join('')}`);
    // Texts with structure, white space and strings that look like numbers; each number also listed in order.
    const value: fc.Arbitrary<{ text: string; tokens: string[] }> = fc.letrec<{ node: { text: string; tokens: string[] } }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        token.map((t) => ({ text: t, tokens: [t] })),
        fc.constantFrom('"x:1.50"', '"[1e5"', 'true', 'null', '" 0.1"').map((t) => ({ text: t, tokens: [] })),
        fc.array(tie('node'), { maxLength: 4 }).map((items) => ({ text: `[ ${items.map((i) => i.text).join(' ,\n')}]`, tokens: items.flatMap((i) => i.tokens) })),
        fc.uniqueArray(fc.tuple(fc.constantFrom('a', 'q', 'p', 'x1'), tie('node')), { maxLength: 4, selector: ([k]) => k }).map((entries) => ({ text: `{${entries.map(([k, v]) => `"${k}":\t${v.text}`).join(',')}}`, tokens: entries.flatMap(([, v]) => v.tokens) })),
      ),
    })).node;
    fc.assert(
      fc.property(value, ({ text, tokens }) => {
        let exact: unknown;
        try {
          exact = reparseNumbers(text);
        } catch (error) {
          expect(error).toBeInstanceOf(JsonNumberRangeError);
          return;
        }
        if (!mayLoseDigits(text)) expect(JSON.parse(text)).toEqual(exact);
        // Each number read is its own decimal: the plain text when kept as a string, a double that prints as that text otherwise.
        const read: string[] = [];
        const walk = (v: unknown): void => {
          if (Array.isArray(v)) v.forEach(walk);
          else if (typeof v === 'object' && v !== null) Object.values(v).forEach(walk);
          else if (typeof v === 'number') read.push(String(v));
          else if (typeof v === 'string' && /^-?\d/.test(v)) read.push(v);
        };
        walk(exact);
        expect(read).toEqual(tokens.map(plainDecimalOf));
      }),
      { numRuns: 3000 },
    );
  });
});
