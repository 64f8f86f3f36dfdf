import * as crypto from 'node:crypto';
import { BoundedMap } from './bounded-map.js';

export interface VerifiedTokenCacheOptions {
  /** Most tokens kept; beyond it, the least recently used entry goes first. Default 1000. */
  max?: number;
  /** Longest an entry is kept, in seconds, even if its token lives longer. Default 300. */
  maxAgeSeconds?: number;
}

/** SHA-256 of the token, as a 32-character string: a key of fixed size, whatever the token's size. */
const digest: (token: string) => string =
  typeof crypto.hash === 'function' // Node 20.12+; a third of createHash's cost
    ? (token) => crypto.hash('sha256', token, 'binary')
    : (token) => crypto.createHash('sha256').update(token).digest('binary');

/**
 * A small bounded cache of what verifying a token gave (e.g. a JWT's claims). An entry never outlives
 * the token's `exp`, nor `maxAgeSeconds`. Verifying a signature costs far more than a Map look-up, and
 * a client sends the same token many times.
 *
 * Entries are keyed by the token's SHA-256 digest, not the token, so an entry's size does not grow
 * with the token's (a cache full of 16 KB tokens holds no token at all). Beyond `max` entries, the
 * least recently used one is dropped: a hit makes an entry the most recent.
 *
 * ```ts
 * const claims = cache.get(token) ?? verifyAndRemember(token);
 * ```
 * Cache only what the token itself proves; look up anything that can change (a disabled user) each time.
 */
export class VerifiedTokenCache<T> {
  private readonly entries: BoundedMap<string, T>;
  private readonly maxAgeMs: number;

  constructor(options: VerifiedTokenCacheOptions = {}) {
    const max = options.max ?? 1000;
    this.maxAgeMs = (options.maxAgeSeconds ?? 300) * 1000;
    if (!Number.isInteger(max) || max < 1) throw new Error('VerifiedTokenCache: max must be a positive integer.');
    if (!(this.maxAgeMs > 0)) throw new Error('VerifiedTokenCache: maxAgeSeconds must be positive.');
    this.entries = new BoundedMap(max, this.maxAgeMs);
  }

  /** The cached value of a token that has not expired, or undefined. A hit makes the entry the most recent. */
  get(token: string): T | undefined {
    return this.entries.get(digest(token));
  }

  /** Remembers a verified token's value until `exp` (seconds since the epoch, as in a JWT). */
  set(token: string, value: T, exp: number): void {
    const now = Date.now();
    const expiresAt = Math.min(exp * 1000, now + this.maxAgeMs);
    if (!(expiresAt > now)) return;
    this.entries.set(digest(token), value, expiresAt);
  }

  /** Forgets every token, e.g. after the signing key changes. */
  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
