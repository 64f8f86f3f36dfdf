import type { DPoPMode } from './dpop-options.interface.js';

/** The error codes of a refused DPoP request (RFC 9449 §7.1, §9; RFC 6750 §3.1). */
export type DPoPErrorCode = 'invalid_token' | 'invalid_dpop_proof' | 'use_dpop_nonce';

/**
 * The `WWW-Authenticate` values of a validator with DPoP (RFC 9449 §7.1): in `required` mode a `DPoP` challenge
 * with the accepted algorithms (`algs`); in `allowed` mode a `Bearer` one too. The error code goes with the scheme
 * the request used.
 */
export class DPoPChallenges {
  /** For a request without credentials: `DPoP algs="ES256 PS256"`, or `Bearer, DPoP algs="..."` when Bearer is allowed. */
  readonly missing: string;
  private readonly algs: string;

  constructor(
    private readonly mode: DPoPMode,
    algorithms: Iterable<string>,
  ) {
    this.algs = `algs="${[...algorithms].join(' ')}"`;
    this.missing = this.refused(undefined, true);
  }

  /** The challenge of a refusal of a request that used DPoP (`dpop`) or Bearer, with its error code, if any. */
  refused(error: DPoPErrorCode | undefined, dpop: boolean): string {
    const dpopChallenge = dpop && error !== undefined ? `DPoP error="${error}", ${this.algs}` : `DPoP ${this.algs}`;
    if (this.mode === 'required') return dpopChallenge;
    const bearer = !dpop && error !== undefined ? `Bearer error="${error}"` : 'Bearer';
    return `${bearer}, ${dpopChallenge}`;
  }
}
