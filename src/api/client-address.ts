/**
 * The address every per-client count keys on (the keyless request rate and request weight, the
 * failed-authentication back-off, the WebSocket connection cap: docs/adr/0019): `request.ip`, the
 * socket's or the client a proxy in TRUST_PROXY names, in one form per client.
 * - An IPv4-mapped IPv6 address is its IPv4 address (`::ffff:203.0.113.1` is `203.0.113.1`, RFC 4291
 *   §2.5.5.2), as a dual-stack socket or proxy may write either.
 * - A port after the address is left out: some proxies append the client's source port
 *   (`203.0.113.1:4444`, `[2001:db8::1]:4444`; Azure Application Gateway does), which would make every
 *   connection of one client a new client.
 * - A forwarded name that is no address after that is no client's: the socket's address (the trusted
 *   proxy's) counts the request, so a client cannot buy a new quota with each made-up name.
 * IPv6 addresses are compared as written, lower-cased (a proxy writes one address one way).
 * Cost: one `isIP` for an address as it comes; the patterns only for a forwarded name that is not one.
 */
import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';

const MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;
const V4_WITH_PORT = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/;
const V6_BRACKETED = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/i;

/** `request`'s client address as the per-address counts key it (see above). */
export function clientAddress(request: FastifyRequest): string {
  // Absent on a connection injected in-process (`injectWS`), which has no socket address either.
  const ip = request.ip as string | undefined;
  let address = ip;
  if (address !== undefined && isIP(address) === 0) {
    const named = V4_WITH_PORT.exec(address)?.[1] ?? V6_BRACKETED.exec(address)?.[1];
    address = named !== undefined && isIP(named) !== 0 ? named : (request.socket?.remoteAddress ?? address);
  }
  if (address === undefined) return '';
  return MAPPED.exec(address)?.[1] ?? address.toLowerCase();
}
