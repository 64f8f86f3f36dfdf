import type { ExecutionContext } from '@nestjs/common';
import { claimsOf, type Claims } from '../core/claim-checks.js';
import { Refusal } from '../core/security-refusal.js';
import { SecurityHttpException } from '../core/security.exception.js';
import type { RevocableClaims } from '../revocation/revocation-store.js';
import type { SecurityScheme } from '../schemes/security-scheme.js';
import type { SecurityContext } from '../core/security-context.js';
import type { CompiledRoute } from '../core/registry/compiled-route.js';
import { WS_CLOSE_UNAUTHORIZED } from './websocket.js';

/**
 * Long-lived connections (a gateway client, the socket under graphql-ws subscriptions) are authorized once,
 * when they start. The watch ends them with their authorization: one shared sweep, every half second while
 * any connection is watched, closes a connection with 4401 once its credentials are revoked, or within the
 * interval before their `exp` (so by `exp`). Checks are synchronous and read memory only (revocation
 * stores answer from this process's copy); nothing runs for HTTP requests.
 */
export const SWEEP_INTERVAL_MS = 500;

export type ConnectionEnd = 'expired' | 'revoked';
const CLOSE_REASONS: Record<ConnectionEnd, string> = { expired: 'Token expired', revoked: 'Token revoked' };

/** The close reason for an ended connection. */
export function closeReason(end: ConnectionEnd): string {
  return CLOSE_REASONS[end];
}

/** A `ws` WebSocket, as far as the watch uses it. */
export interface WatchedSocket {
  readonly readyState: number;
  close(code: number, reason: string): void;
  once(event: 'close', listener: () => void): unknown;
}

/** What one scheme authorized on a connection, and what ends it. */
export interface ConnectionAuthorization {
  readonly scheme: SecurityScheme;
  /** When its credentials expire, in milliseconds since the epoch; Infinity when they do not say. */
  readonly expiresAt: number;
  /** True once its credentials are revoked (read from memory, synchronously). */
  readonly isRevoked: () => boolean;
}

/** Why a connection's authorization is over, and the scheme it was given under. */
export interface EndedAuthorization {
  readonly end: ConnectionEnd;
  readonly scheme: SecurityScheme;
}

/** The call that started watching a connection (its first authorized call): where a sweep-ended connection is reported. */
export interface WatchOrigin {
  /** `Gateway.handler` or `Resolver.field`. */
  readonly handler: string;
  readonly context: ExecutionContext;
}

/** Told about each connection the sweep ends (the `onRefusal` hook), with the refusal it amounts to. */
export type EndedConnectionReporter = (refusal: Refusal, origin: WatchOrigin) => void;

/** The refusal an ended authorization amounts to: 401, `expired` or `revoked`. */
export function endedRefusal({ end, scheme }: EndedAuthorization): Refusal {
  return new Refusal(new SecurityHttpException(401, closeReason(end), {}, end), end, [scheme]);
}

/** A revocation store, or a token validator (its own store, or the module's it was handed). */
export interface RevocationCheck {
  isRevoked(claims: RevocableClaims): boolean;
}

const CLOSING = 2;

export class ConnectionWatch {
  /** Per socket, its authorizations by scheme: one per scheme, as a connection's credentials do not change. */
  private readonly watched = new Map<WatchedSocket, Map<SecurityScheme, ConnectionAuthorization>>();
  private readonly origins = new Map<WatchedSocket, WatchOrigin>();
  private sweeper: NodeJS.Timeout | undefined;

  /**
   * @param moduleStore the module's revocation store, asked about the claims of validators without `isRevoked`.
   * @param reportEnded told about each connection the sweep closes (a call on an ended connection is refused,
   *   and reported, by the guard instead).
   */
  constructor(
    private readonly moduleStore: () => RevocationCheck | undefined = () => undefined,
    private readonly reportEnded?: EndedConnectionReporter,
  ) {}

  /**
   * Watches `socket` until these authorizations end or it closes. When one is already over (it expires within
   * the sweep interval, or is revoked), the socket is closed now and the ended one returned, for the caller to
   * refuse the call that asked for it.
   */
  watch(socket: WatchedSocket, authorizations: readonly ConnectionAuthorization[], origin?: WatchOrigin): EndedAuthorization | undefined {
    if (authorizations.length === 0 || socket.readyState >= CLOSING) return undefined;
    let byScheme = this.watched.get(socket);
    if (!byScheme) {
      this.watched.set(socket, (byScheme = new Map()));
      if (origin) this.origins.set(socket, origin);
      socket.once('close', () => this.forget(socket));
      this.sweeper ??= setInterval(() => this.sweep(), SWEEP_INTERVAL_MS).unref();
    }
    for (const authorization of authorizations) byScheme.set(authorization.scheme, authorization);
    return this.check(socket);
  }

  /** The ended authorization of a watched socket, closing it; undefined while it holds (or is not watched). */
  check(socket: WatchedSocket): EndedAuthorization | undefined {
    const byScheme = this.watched.get(socket);
    const ended = byScheme && endedOf(byScheme, Date.now() + SWEEP_INTERVAL_MS);
    if (ended) this.end(socket, ended.end);
    return ended;
  }

  /**
   * What a passed check authorized, scheme by scheme: each presented credential's verified claims (the
   * grant's, else a plain-object principal), ending at their `exp` or when the scheme's validator (a token
   * validator's `isRevoked`), else the module's store, says they are revoked. A principal with no claims
   * says nothing about its end: it is not watched.
   */
  authorizationsOf(route: CompiledRoute, passed: SecurityContext): ConnectionAuthorization[] {
    const authorizations: ConnectionAuthorization[] = [];
    for (const { scheme, credentials, principal, claims } of passed) {
      const verified = credentials === null ? undefined : (claims ?? claimsOf(principal));
      if (verified === undefined) continue;
      const validator = validatorOf(route, scheme) as Partial<RevocationCheck> | undefined;
      const store = typeof validator?.isRevoked === 'function' ? (validator as RevocationCheck) : this.moduleStore();
      authorizations.push({ scheme, expiresAt: expiresAtOf(verified), isRevoked: () => store?.isRevoked(verified) === true });
    }
    return authorizations;
  }

  /** Stops watching everything (application shutdown). */
  stop(): void {
    this.watched.clear();
    this.origins.clear();
    this.stopSweeping();
  }

  private sweep(): void {
    const horizon = Date.now() + SWEEP_INTERVAL_MS;
    for (const [socket, byScheme] of this.watched) {
      const ended = endedOf(byScheme, horizon);
      if (!ended) continue;
      const origin = this.origins.get(socket);
      this.end(socket, ended.end);
      if (origin) this.reportEnded?.(endedRefusal(ended), origin);
    }
  }

  private end(socket: WatchedSocket, end: ConnectionEnd): void {
    this.forget(socket);
    socket.close(WS_CLOSE_UNAUTHORIZED, CLOSE_REASONS[end]);
  }

  private forget(socket: WatchedSocket): void {
    this.origins.delete(socket);
    if (this.watched.delete(socket) && this.watched.size === 0) this.stopSweeping();
  }

  private stopSweeping(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}

/** The first authorization that is over by `horizon` (ms) or revoked. A revocation check that throws counts as revoked. */
function endedOf(byScheme: Map<SecurityScheme, ConnectionAuthorization>, horizon: number): EndedAuthorization | undefined {
  for (const { scheme, expiresAt, isRevoked } of byScheme.values()) {
    if (expiresAt <= horizon) return { end: 'expired', scheme };
    let revoked: boolean;
    try {
      revoked = isRevoked();
    } catch {
      revoked = true;
    }
    if (revoked) return { end: 'revoked', scheme };
  }
  return undefined;
}

/** The validator of a scheme of the route (undefined for a request-scoped one, resolved per call). */
function validatorOf(route: CompiledRoute, scheme: SecurityScheme): unknown {
  for (const alternative of route.alternatives) {
    for (const compiled of alternative.schemes) if (compiled.scheme === scheme) return compiled.binding.validator;
  }
  return undefined;
}

/** `exp` (seconds) in milliseconds; Infinity without a numeric `exp`. */
function expiresAtOf(claims: Claims): number {
  const exp = claims.exp;
  return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : Number.POSITIVE_INFINITY;
}
