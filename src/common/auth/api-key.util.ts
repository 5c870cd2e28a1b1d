import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { sha256 } from '../crypto/sha256.util';

/** The key a request presents: `Authorization: Bearer <key>`, else `x-api-key`; undefined when neither. */
export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const key = headers['x-api-key'];
  return typeof key === 'string' && key.length > 0 ? key : undefined;
}

const digest = (value: string): Buffer => Buffer.from(sha256(value), 'hex');

/**
 * Whether `key` is one of `accepted`, in time that depends neither on where the keys differ nor on their lengths
 * (both sides are hashed to 32 bytes, and every accepted key is compared).
 */
export function keyMatches(key: string, accepted: readonly string[]): boolean {
  const presented = digest(key);
  let match = false;
  for (const candidate of accepted) match = timingSafeEqual(presented, digest(candidate)) || match;
  return match;
}
