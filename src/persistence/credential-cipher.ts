/**
 * Encryption at rest for exchange API credentials: AES-256-GCM (node:crypto) under a key from the
 * environment (CREDENTIALS_KEY: 32 bytes as 64 hex digits or as base64).
 *
 * Guarantees: every sealing uses a fresh 96-bit nonce; the account id is bound as additional
 * authenticated data, so a ciphertext copied to another account's row does not open; a wrong key or
 * a tampered row throws `CredentialCipherError` (never returns garbage). The plaintext exists only
 * in memory, inside the process that holds the key.
 * Format: `v1.<nonce b64url>.<tag b64url>.<ciphertext b64url>`.
 * Source: NIST SP 800-38D (GCM), Node's `crypto.createCipheriv('aes-256-gcm', …)`.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export class CredentialCipherError extends Error {
  override readonly name = 'CredentialCipherError';
}

/** CREDENTIALS_KEY → 32 key bytes; throws naming the variable when it is not 32 bytes. */
export function parseCredentialsKey(text: string): Buffer {
  const trimmed = text.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (bytes.length !== 32) throw new CredentialCipherError('CREDENTIALS_KEY must be 32 bytes: 64 hex digits or base64 (e.g. `openssl rand -hex 32`)');
  return bytes;
}

export class CredentialCipher {
  private readonly key: Buffer;

  constructor(key: string | Buffer) {
    this.key = typeof key === 'string' ? parseCredentialsKey(key) : key;
    if (this.key.length !== 32) throw new CredentialCipherError('an AES-256 key is 32 bytes');
  }

  /** Seals `plaintext` for `accountId`. */
  seal(plaintext: string, accountId: string): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(accountId, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', nonce.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  /** Opens what `seal` produced for the same account; throws on a wrong key, account or a changed byte. */
  open(sealed: string, accountId: string): string {
    const [version, nonce, tag, body] = sealed.split('.');
    if (version !== 'v1' || nonce === undefined || tag === undefined || body === undefined) throw new CredentialCipherError('not a sealed credential (expected v1.<nonce>.<tag>.<ciphertext>)');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(nonce, 'base64url'));
      decipher.setAAD(Buffer.from(accountId, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new CredentialCipherError(`the stored exchange credentials of ${accountId} do not open with this CREDENTIALS_KEY (another key, or a changed row)`);
    }
  }
}
