/** Exchange credentials are sealed with AES-256-GCM under CREDENTIALS_KEY and bound to their account. */
import { createDecipheriv } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialCipher, CredentialCipherError } from './credential-cipher.js';
import { openAndMigrate, type PersistenceDatabase } from './database.js';
import { ExchangeKeysUnavailableError, ExchangeKeyStore } from './exchange-key-store.js';
import { scratchDir } from '../test-kit/scratch-dir.js';

const KEY_HEX = '8f'.repeat(32);
const CREDENTIALS = { apiKey: 'mx0vglVenueKeyAlice', secret: 'f00dfeedVenueSecretAlice' };

describe('ExchangeKeyStore', () => {
  let opened: PersistenceDatabase;
  beforeAll(async () => {
    opened = await openAndMigrate(`sqlite:${join(scratchDir('papertrade-keys-'), 'keys.db')}`);
  });
  afterAll(async () => opened?.close());

  it('writes only ciphertext; node:crypto opens it as AES-256-GCM with the account id as AAD', async () => {
    const store = new ExchangeKeyStore(opened.db, new CredentialCipher(KEY_HEX));
    await store.set('acc_alice', CREDENTIALS, 1_700_000_000_000);
    const row = await opened.db.selectFrom('account_exchange_keys').selectAll().executeTakeFirstOrThrow();
    expect(row.sealed).not.toContain(CREDENTIALS.apiKey);
    expect(row.sealed).not.toContain(CREDENTIALS.secret);
    expect(Buffer.from(row.sealed.split('.')[3]!, 'base64url').toString('utf8')).not.toContain(CREDENTIALS.secret);
    // An independent opening, by the standard's parameters, not by the store's own code.
    const [, nonce, tag, body] = row.sealed.split('.');
    const decipher = createDecipheriv('aes-256-gcm', Buffer.from(KEY_HEX, 'hex'), Buffer.from(nonce!, 'base64url'));
    decipher.setAAD(Buffer.from('acc_alice'));
    decipher.setAuthTag(Buffer.from(tag!, 'base64url'));
    const plain = Buffer.concat([decipher.update(Buffer.from(body!, 'base64url')), decipher.final()]).toString('utf8');
    expect(JSON.parse(plain)).toEqual(CREDENTIALS);
    expect(await store.get('acc_alice')).toEqual(CREDENTIALS);
    expect(await store.describe('acc_alice')).toEqual({ set: true, updatedAt: 1_700_000_000_000 });
    expect(await store.get('acc_bob')).toBeUndefined();
  });

  it('a row moved to another account, a changed byte or another key does not open', async () => {
    const cipher = new CredentialCipher(KEY_HEX);
    const sealed = cipher.seal('{"apiKey":"k","secret":"s"}', 'acc_alice');
    expect(() => cipher.open(sealed, 'acc_bob')).toThrow(CredentialCipherError);
    const parts = sealed.split('.');
    const body = Buffer.from(parts[3]!, 'base64url');
    body[0] = body[0]! ^ 1;
    expect(() => cipher.open([...parts.slice(0, 3), body.toString('base64url')].join('.'), 'acc_alice')).toThrow(/do not open/);
    expect(() => new CredentialCipher(Buffer.alloc(32, 1).toString('base64')).open(sealed, 'acc_alice')).toThrow(CredentialCipherError);
    expect(cipher.seal('same', 'a')).not.toBe(cipher.seal('same', 'a')); // a fresh nonce each time
  });

  it('without CREDENTIALS_KEY nothing is stored or read, and the error says what to set', async () => {
    const store = new ExchangeKeyStore(opened.db, undefined);
    expect(store.available).toBe(false);
    await expect(store.set('acc_carol', CREDENTIALS, 1)).rejects.toThrow(ExchangeKeysUnavailableError);
    await expect(store.get('acc_alice')).rejects.toThrow(/CREDENTIALS_KEY is not set/);
  });

  it('a key that is not 32 bytes is refused', () => {
    expect(() => new CredentialCipher('00ff')).toThrow(/CREDENTIALS_KEY must be 32 bytes/);
  });
});
