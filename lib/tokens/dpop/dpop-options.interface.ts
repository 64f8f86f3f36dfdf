import type { RevocationStore } from '../../revocation/revocation-store.js';

/**
 * `allowed`: a token may come as `Authorization: Bearer` or `Authorization: DPoP` with a proof; a DPoP-bound
 * token (`cnf.jkt`) only with its proof. `required`: only `Authorization: DPoP` with a proof.
 */
export type DPoPMode = 'allowed' | 'required';

/** The asymmetric JWS algorithms a DPoP proof may be signed with (RFC 9449 §4.2). Symmetric ones are refused at start-up. */
export const DPOP_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'EdDSA', 'Ed25519'] as const;

export type DPoPAlgorithm = (typeof DPOP_ALGORITHMS)[number];

/** The algorithms accepted when `algorithms` is not given, and advertised in `algs`. */
export const DEFAULT_DPOP_ALGORITHMS: readonly DPoPAlgorithm[] = ['ES256', 'PS256', 'RS256', 'EdDSA', 'Ed25519'];

/** Server-provided nonces (RFC 9449 §8 and §9): a proof must carry a recent `nonce` the server made. */
export interface DPoPNonceOptions {
  /**
   * The key nonces are made and checked with (HMAC-SHA256), at least 32 bytes. Give the same secret to every
   * instance behind a load balancer: a nonce made by one is then accepted by the others. Default: a random
   * secret made at start-up, which suits one instance only.
   */
  secret?: string | Uint8Array;
  /** How long one nonce is current, in seconds; the previous one is still accepted (and replaced). Default 300. */
  lifetimeSeconds?: number;
}

/**
 * Where the URL the client called (for the proof's `htu`) is read. Default: the request's own scheme (`https`
 * on a TLS connection, else `http`) and its `Host` header.
 */
export interface DPoPRequestUrlOptions {
  /**
   * The public origin the API is reached at, e.g. `'https://api.example.com'`, optionally with a path prefix a
   * proxy removes (`'https://example.com/api'`): `htu` must be this plus the request's path. The strictest choice.
   */
  publicOrigin?: string;
  /**
   * Behind a reverse proxy you run, the headers it sets to tell the client's scheme and host:
   * `'x-forwarded'` (`X-Forwarded-Proto` and `X-Forwarded-Host`, their first value) or `'forwarded'`
   * (RFC 7239, the `proto` and `host` of its first element). Only when the proxy overwrites what clients send.
   */
  forwardedHeaders?: 'x-forwarded' | 'forwarded';
}

/** DPoP (RFC 9449) on a token validator: access tokens bound to a key the client proves it holds on each request. */
export interface DPoPOptions extends DPoPRequestUrlOptions {
  /** `'allowed'`: Bearer or DPoP (bound tokens only with DPoP); `'required'`: DPoP only. */
  mode: DPoPMode;
  /** The asymmetric algorithms a proof may use. Default `['ES256', 'PS256', 'RS256', 'EdDSA', 'Ed25519']`. */
  algorithms?: readonly DPoPAlgorithm[];
  /** How old (its `iat`) a proof may be, in seconds; its `jti` is remembered that long. Default 60. */
  iatWindowSeconds?: number;
  /** How far in the future a proof's `iat` may be (clock skew), in seconds. Default 5. */
  clockTolerance?: number;
  /** Require server nonces (`DPoP-Nonce`, `use_dpop_nonce`). Default: none. */
  nonce?: DPoPNonceOptions;
  /**
   * Where each proof's `jti` is marked used (`consumeOnce`). Default: the module's revocation store (in memory,
   * or Redis, shared by every instance), even when the validator's own revocation check is off.
   */
  replay?: RevocationStore;
}
