import { describe, expect, it } from 'vitest';
import type { AccountProfile, CredentialStore } from '../../persistence/credential-store.js';
import { MexcError } from './mexc-errors.js';
import { mexcSignature, splitSignature, verifySignedRequest } from './mexc-signature.js';

const SECRET = '45d0b3c26f2644f19bfb98b07741b2f5';
const profile = { accountId: 'acc_1', apiKey: 'key-1', apiSecret: SECRET } as AccountProfile;
const credentials = { byApiKey: (key: string) => (key === 'key-1' ? profile : undefined) } as unknown as CredentialStore;

function signedQuery(params: string, secret = SECRET): string {
  return `${params}&signature=${mexcSignature(secret, params)}`;
}

function verify(rawQuery: string, now: number, apiKey: string | undefined = 'key-1', rawBody = '') {
  // (an explicit '' stands for a missing header: undefined would take the default)
  const params = Object.fromEntries([...new URLSearchParams(rawBody), ...new URLSearchParams(rawQuery)]);
  return verifySignedRequest({ rawQuery, rawBody, apiKey, params }, credentials, now);
}

function codeOf(run: () => unknown): number | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof MexcError) return error.code;
    throw error;
  }
}

describe('MEXC request signing', () => {
  it("matches MEXC's documented signature example", () => {
    // The docs' secret and parameters ("SIGNED Endpoint Examples"). Their example 1 prints 323c96ab…, a
    // misprint: their example 2, `openssl dgst` and JKorf/Mexc.Net's signature test all give this value.
    const total = 'symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=11&recvWindow=5000&timestamp=1644489390087';
    expect(mexcSignature(SECRET, total)).toBe('fd3e4e8543c5188531eb7279d68ae7d26a573d0fc5ab0d18eb692451654d837a');
  });

  it('accepts a request signed over the parameters in the order sent, and returns its account', () => {
    const query = signedQuery('timestamp=1000000&symbol=BTCUSDT&recvWindow=5000');
    expect(verify(query, 1_000_500)).toBe(profile);
  });

  it('signs query and form body concatenated, and takes the signature from either', () => {
    const query = 'symbol=BTCUSDT&timestamp=1000000';
    const body = 'side=BUY&type=MARKET&quantity=1';
    expect(verify(query, 1_000_000, 'key-1', `${body}&signature=${mexcSignature(SECRET, query + body)}`)).toBe(profile);
  });

  it('refuses a missing key (400), an unknown key (10072) and a missing signature (700004)', () => {
    const query = signedQuery('timestamp=1000000');
    expect(codeOf(() => verify(query, 1_000_000, ''))).toBe(400);
    expect(codeOf(() => verify(query, 1_000_000, 'nope'))).toBe(10072);
    expect(codeOf(() => verify('timestamp=1000000', 1_000_000))).toBe(700004);
  });

  it('refuses a wrong secret, a re-ordered or altered query with 700002', () => {
    expect(codeOf(() => verify(signedQuery('timestamp=1000000&a=1', 'other'), 1_000_000))).toBe(700002);
    const signature = mexcSignature(SECRET, 'timestamp=1000000&a=1');
    expect(codeOf(() => verify(`a=1&timestamp=1000000&signature=${signature}`, 1_000_000))).toBe(700002);
    expect(codeOf(() => verify(`timestamp=1000000&a=2&signature=${signature}`, 1_000_000))).toBe(700002);
  });

  it('checks the timestamp against recvWindow (default 5000, at most 60000) and the server clock', () => {
    const at = (params: string, now: number) => codeOf(() => verify(signedQuery(params), now));
    expect(at('timestamp=1000000', 1_005_000)).toBeUndefined();
    expect(at('timestamp=1000000', 1_005_001)).toBe(700003);
    expect(at('timestamp=1000000&recvWindow=60000', 1_060_000)).toBeUndefined();
    expect(at('timestamp=1000000&recvWindow=60001', 1_000_000)).toBe(700005);
    expect(at('timestamp=1000999', 1_000_000)).toBeUndefined(); // up to 1 s ahead of the server
    expect(at('timestamp=1001000', 1_000_000)).toBe(700003);
    expect(at('recvWindow=5000', 1_000_000)).toBe(700004);
  });

  it('splits the signature off without touching the rest', () => {
    expect(splitSignature('b=2&signature=abc&a=1')).toEqual({ rest: 'b=2&a=1', signature: 'abc' });
    expect(splitSignature('')).toEqual({ rest: '', signature: undefined });
  });
});
