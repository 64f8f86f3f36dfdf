import type { DPoPSchemeChallenges } from '../../schemes/security-scheme.js';
import type { DPoPMode } from './dpop-options.interface.js';

/** The error codes of a refused DPoP request (RFC 9449 §7.1, §9; RFC 6750 §3.1). */
export type DPoPErrorCode = 'invalid_token' | 'invalid_dpop_proof' | 'use_dpop_nonce';

/**
 * The `WWW-Authenticate` values of a validator with DPoP (RFC 9449 §7.1): in `required` mode a `DPoP` challenge
 * with the accepted algorithms (`algs`); in `allowed` mode a `Bearer` one too. The error code goes with the scheme
 * the request used. Its scheme is given it at start-up (`acceptDPoP`), for its own answers after the token was
 * accepted (a missing scope, a failed claim check, a step-up requirement).
 */
export class DPoPChallenges implements DPoPSchemeChallenges {
  /** For a request without credentials: `DPoP algs="ES256 PS256"`, or `Bearer, DPoP algs="..."` when Bearer is allowed. */
  readonly missing: string;
  readonly bearerAllowed: boolean;
  private readonly algs: string;

  constructor(mode: DPoPMode, algorithms: Iterable<string>) {
    this.bearerAllowed = mode === 'allowed';
    this.algs = `algs="${[...algorithms].join(' ')}"`;
    this.missing = this.challenge(undefined, true);
  }

  /** The challenge of a refusal of a request that used DPoP (`dpop`) or Bearer, with its error code, if any. */
  refused(error: DPoPErrorCode | undefined, dpop: boolean): string {
    return this.challenge(error === undefined ? undefined : `error="${error}"`, dpop);
  }

  /**
   * The challenge carrying `parameters` (RFC 6750 auth-params, quoted: `error="insufficient_scope", scope="read"`) on
   * `DPoP` for a request that used DPoP (`dpop`), on `Bearer` for one that used Bearer, `algs` always on `DPoP`. In
   * `required` mode there is no `Bearer` challenge: a Bearer request gets `DPoP algs="..."` without them.
   */
  challenge(parameters: string | undefined, dpop: boolean): string {
    const dpopChallenge = dpop && parameters !== undefined ? `DPoP ${parameters}, ${this.algs}` : `DPoP ${this.algs}`;
    if (!this.bearerAllowed) return dpopChallenge;
    const bearer = !dpop && parameters !== undefined ? `Bearer ${parameters}` : 'Bearer';
    return `${bearer}, ${dpopChallenge}`;
  }
}
