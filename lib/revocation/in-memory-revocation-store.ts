import { REVOCATION_MAX_EXPIRES_AT, RevocationStore, type RevocableClaims } from './revocation-store.js';
import { checkAttempt, checkExpiry, checkId, checkTime } from './store-arguments.js';

/** One revocation, as the Redis store sends and reloads it. `issuedBefore` only for a subject. */
export type RevocationEntry =
  | { readonly kind: 'token' | 'session'; readonly id: string; readonly expiresAt: number }
  | { readonly kind: 'subject'; readonly id: string; readonly issuedBefore: number; readonly expiresAt: number };

interface SubjectCutoff {
  issuedBefore: number;
  expiresAt: number;
}

/** A used one-time id: until when, and the attempt that may still retry it once (see `consumeOnce`). */
interface UsedId {
  expiresAt: number;
  retryable: string | undefined;
}

/** How often expired entries are looked for, and the least number looked at per pass. */
const SWEEP_INTERVAL_MS = 1000;
const MIN_SWEEP_BATCH = 10_000;
/** A pass over every entry takes about this many sweeps (30 s): an expired entry leaves within about a minute. */
const SWEEPS_PER_PASS = 30;

/**
 * Ids (jti, sid, one-time ids) with the second they expire at, in a plain Map (the id string and a small
 * number: about 80 bytes an entry with a 36-character id). Expired entries are dropped incrementally by a
 * background sweep that resumes where it stopped, so a million entries never block the event loop.
 */
class ExpiringIds<V> {
  readonly map = new Map<string, V>();
  private cursor: Iterator<[string, V]> | undefined;

  constructor(private readonly expiresAtOf: (value: V) => number) {}

  /** Looks at up to `budget` entries from where the last sweep stopped; drops the expired ones. */
  sweep(budget: number, nowSeconds: number): number {
    let looked = 0;
    while (looked < budget && this.map.size > 0) {
      this.cursor ??= this.map.entries();
      const next = this.cursor.next();
      if (next.done) {
        this.cursor = undefined; // the next sweep starts a new pass
        break;
      }
      looked++;
      if (this.expiresAtOf(next.value[1]) <= nowSeconds) this.map.delete(next.value[0]);
    }
    if (this.map.size === 0) this.cursor = undefined;
    return looked;
  }
}

/**
 * The default revocation store: this process's memory. Right for one instance; behind a load balancer use
 * `RedisRevocationStore`, which keeps a copy of this store in every instance and syncs it through Redis.
 *
 * Entries live until the `expiresAt` they were given (the token's `exp`): a background sweep (an unref'd
 * 1 s timer, running only while the store holds entries) drops expired ones within about a minute, looking
 * at a bounded slice of the entries each time (1/30 of them, at least 10,000). `isRevoked` costs at most
 * three Map look-ups and allocates nothing; with nothing revoked, three size checks.
 */
export class InMemoryRevocationStore extends RevocationStore {
  private readonly tokens = new ExpiringIds<number>((expiresAt) => expiresAt);
  private readonly sessions = new ExpiringIds<number>((expiresAt) => expiresAt);
  private readonly subjects = new ExpiringIds<SubjectCutoff>((cutoff) => cutoff.expiresAt);
  private readonly used = new ExpiringIds<UsedId>((used) => used.expiresAt);
  private timer: NodeJS.Timeout | undefined;
  /** Entries looked at per sweep in this pass: 1/30 of the most entries held since it started (at least 10,000). */
  private passBudget: number | undefined;

  isRevoked(claims: RevocableClaims): boolean {
    if (this.tokens.map.size !== 0 && typeof claims.jti === 'string' && this.tokens.map.has(claims.jti)) return true;
    if (this.sessions.map.size !== 0 && typeof claims.sid === 'string' && this.sessions.map.has(claims.sid)) return true;
    if (this.subjects.map.size !== 0 && typeof claims.sub === 'string') {
      const cutoff = this.subjects.map.get(claims.sub);
      // A token without a numeric iat cannot show it was issued after the cut-off: refused.
      if (cutoff !== undefined && !(typeof claims.iat === 'number' && claims.iat > cutoff.issuedBefore)) return true;
    }
    return false;
  }

  /** Times later than `REVOCATION_MAX_EXPIRES_AT` (9999-12-31) are clamped to it, in every method. */
  async revokeToken(jti: string, expiresAt: number): Promise<void> {
    this.apply({ kind: 'token', id: checkId('revokeToken', 'jti', jti), expiresAt: checkExpiry('revokeToken', expiresAt) });
  }

  async revokeSession(sid: string, expiresAt: number): Promise<void> {
    this.apply({ kind: 'session', id: checkId('revokeSession', 'sid', sid), expiresAt: checkExpiry('revokeSession', expiresAt) });
  }

  /**
   * Revokes every token of `sub` whose `iat` is at or before `issuedBefore`, and every token of `sub`
   * without a numeric `iat`. `issuedBefore` is in seconds and may have a fraction: pass `Date.now() / 1000`.
   *
   * The boundary: `iat` counts whole seconds in most tokens, so a token issued later in the same second as
   * the revocation has an `iat` below `issuedBefore` and is refused too (fail closed); a token issued from
   * the next second on is accepted. For a log-in right after "log out everywhere" to work at once, issue
   * tokens with a fractional `iat` (a JWT NumericDate may have one: `iat: Date.now() / 1000`).
   * `issuedBefore` is a cut-off, not an expiry: it is kept as given (a later one refuses more tokens).
   */
  async revokeSubject(sub: string, issuedBefore: number, expiresAt: number): Promise<void> {
    this.apply({
      kind: 'subject',
      id: checkId('revokeSubject', 'sub', sub),
      issuedBefore: checkTime('revokeSubject', 'issuedBefore', issuedBefore),
      expiresAt: checkExpiry('revokeSubject', expiresAt),
    });
  }

  /**
   * True the first time an id is presented, false after, until `expiresAt`; with an `attempt`, true once
   * more for the same attempt (see `RevocationStore.consumeOnce`). Atomic within this process.
   */
  async consumeOnce(id: string, expiresAt: number, attempt?: string): Promise<boolean> {
    return this.consumeOnceNow(checkId('consumeOnce', 'id', id), checkExpiry('consumeOnce', expiresAt), checkAttempt(attempt));
  }

  /** `consumeOnce`, synchronously. */
  consumeOnceNow(id: string, expiresAt: number, attempt?: string): boolean {
    const previous = this.used.map.get(id);
    if (previous !== undefined && previous.expiresAt > Date.now() / 1000) {
      if (attempt === undefined || previous.retryable !== attempt) return false;
      previous.retryable = undefined; // this attempt's one retry
      return true;
    }
    this.used.map.set(id, { expiresAt: Math.min(expiresAt, REVOCATION_MAX_EXPIRES_AT), retryable: attempt });
    this.startSweeping();
    return true;
  }

  /**
   * Records a revocation (kept: the latest `expiresAt` and, for a subject, the latest `issuedBefore`). An
   * `expiresAt` after `REVOCATION_MAX_EXPIRES_AT` (from Redis, written by an older version) is clamped.
   */
  apply(received: RevocationEntry): void {
    const entry = received.expiresAt > REVOCATION_MAX_EXPIRES_AT ? { ...received, expiresAt: REVOCATION_MAX_EXPIRES_AT } : received;
    if (entry.kind === 'subject') {
      const cutoff = this.subjects.map.get(entry.id);
      if (cutoff === undefined) this.subjects.map.set(entry.id, { issuedBefore: entry.issuedBefore, expiresAt: entry.expiresAt });
      else {
        cutoff.issuedBefore = Math.max(cutoff.issuedBefore, entry.issuedBefore);
        cutoff.expiresAt = Math.max(cutoff.expiresAt, entry.expiresAt);
      }
    } else {
      const ids = entry.kind === 'token' ? this.tokens.map : this.sessions.map;
      const previous = ids.get(entry.id);
      if (previous === undefined || previous < entry.expiresAt) ids.set(entry.id, entry.expiresAt);
    }
    this.startSweeping();
  }

  /** Every revocation held (one-time ids excepted), for a store that copies them elsewhere. */
  *entries(): IterableIterator<RevocationEntry> {
    for (const [id, expiresAt] of this.tokens.map) yield { kind: 'token', id, expiresAt };
    for (const [id, expiresAt] of this.sessions.map) yield { kind: 'session', id, expiresAt };
    for (const [id, { issuedBefore, expiresAt }] of this.subjects.map) yield { kind: 'subject', id, issuedBefore, expiresAt };
  }

  /** How many entries are held: revoked tokens, sessions and subjects, and used one-time ids. */
  get size(): number {
    return this.tokens.map.size + this.sessions.map.size + this.subjects.map.size + this.used.map.size;
  }

  /** Drops expired entries now, looking at up to `budget` of them (default: all). Returns how many it looked at. */
  sweep(budget = Number.POSITIVE_INFINITY): number {
    const now = Date.now() / 1000;
    let looked = 0;
    for (const ids of [this.tokens, this.sessions, this.subjects, this.used] as ExpiringIds<unknown>[]) {
      looked += ids.sweep(budget - looked, now);
      if (looked >= budget) break;
    }
    if (this.size === 0) this.stopSweeping();
    return looked;
  }

  /** Stops the background sweep (it starts again with the next entry). */
  close(): void {
    this.stopSweeping();
  }

  /** Nest calls it when the application shuts down. */
  onApplicationShutdown(): void {
    this.close();
  }

  private startSweeping(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      // The pace grows with the store during a pass, and does not slow down as expired entries leave.
      const budget = (this.passBudget = Math.max(this.passBudget ?? 0, MIN_SWEEP_BATCH, Math.ceil(this.size / SWEEPS_PER_PASS)));
      if (this.sweep(budget) < budget) this.passBudget = undefined; // every map reached its end: a new pass starts
    }, SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  private stopSweeping(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.passBudget = undefined;
  }
}
