/**
 * Authentication for the native API: `Authorization: Bearer <key>`. The admin key manages accounts;
 * an account's API key acts on that account only. Keys are compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { AccountProfile, CredentialStore } from '../persistence/credential-store.js';
import { HttpError } from './http-errors.js';

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}

export function isAdmin(request: FastifyRequest, adminKeyHash: string): boolean {
  const token = bearerToken(request);
  if (token === undefined) return false;
  const a = Buffer.from(sha256(token), 'hex');
  const b = Buffer.from(adminKeyHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function requireAdmin(request: FastifyRequest, adminKeyHash: string): void {
  if (!isAdmin(request, adminKeyHash)) throw new HttpError(401, { code: 'UNAUTHORIZED', message: 'this call needs the admin key: Authorization: Bearer <ADMIN_API_KEY>' });
}

/** An account's key or the admin key, else 401 saying that either will do. */
export function requireAccountOrAdmin(request: FastifyRequest, credentials: CredentialStore, adminKeyHash: string): void {
  const token = bearerToken(request);
  if (token !== undefined && (credentials.byApiKey(token) !== undefined || isAdmin(request, adminKeyHash))) return;
  throw new HttpError(401, { code: 'UNAUTHORIZED', message: 'this call needs an account key or the admin key: Authorization: Bearer <key>' });
}

export function requireAccount(request: FastifyRequest, credentials: CredentialStore): AccountProfile {
  const token = bearerToken(request);
  if (token === undefined) throw new HttpError(401, { code: 'UNAUTHORIZED', message: 'missing API key: Authorization: Bearer <apiKey>' });
  const profile = credentials.byApiKey(token);
  if (profile === undefined) throw new HttpError(401, { code: 'UNAUTHORIZED', message: 'unknown API key' });
  return profile;
}
