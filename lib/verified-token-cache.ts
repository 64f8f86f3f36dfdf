export interface VerifiedTokenCacheOptions {
  /** Most tokens kept; the oldest entry goes first. Default 1000. */
  max?: number;
  /** Longest an entry is kept, in seconds, even if its token lives longer. Default 300. */
  maxAgeSeconds?: number;
}

interface Entry<T> {
  value: T;
  expiresAt: number;
}

/**
 * A small bounded cache of what verifying a token gave (e.g. a JWT's claims), keyed by the exact token
 * string. An entry never outlives the token's `exp`, nor `maxAgeSeconds`. Verifying a signature costs
 * far more than a Map look-up, and a client sends the same token many times.
 *
 * ```ts
 * const claims = cache.get(token) ?? verifyAndRemember(token);
 * ```
 * Cache only what the token itself proves; look up anything that can change (a disabled user) each time.
 */
export class VerifiedTokenCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly max: number;
  private readonly maxAgeMs: number;

  constructor(options: VerifiedTokenCacheOptions = {}) {
    this.max = options.max ?? 1000;
    this.maxAgeMs = (options.maxAgeSeconds ?? 300) * 1000;
    if (!Number.isInteger(this.max) || this.max < 1) throw new Error('VerifiedTokenCache: max must be a positive integer.');
    if (!(this.maxAgeMs > 0)) throw new Error('VerifiedTokenCache: maxAgeSeconds must be positive.');
  }

  /** The cached value of a token that has not expired, or undefined. */
  get(token: string): T | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > Date.now()) return entry.value;
    this.entries.delete(token);
    return undefined;
  }

  /** Remembers a verified token's value until `exp` (seconds since the epoch, as in a JWT). */
  set(token: string, value: T, exp: number): void {
    const now = Date.now();
    const expiresAt = Math.min(exp * 1000, now + this.maxAgeMs);
    if (!(expiresAt > now)) return;
    this.entries.delete(token);
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(token, { value, expiresAt });
  }

  /** Forgets every token, e.g. after the signing key changes. */
  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
