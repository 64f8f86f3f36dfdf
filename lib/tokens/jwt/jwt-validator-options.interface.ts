import type { ExecutionContext } from '@nestjs/common';
import type { JwtAlgorithm } from './algorithms.js';
import type { JwksOptions } from './jwks.js';
import type { JwtKeyInput } from './keys.js';
import type { RevocationStore } from '../../revocation/revocation-store.js';
import type { DPoPOptions } from '../dpop/dpop-options.interface.js';

/** The verified claims of a JWT. */
export type JwtClaims = Readonly<Record<string, unknown>> & {
  readonly iss?: string;
  readonly sub?: string;
  readonly aud?: string | readonly string[];
  readonly exp?: number;
  readonly nbf?: number;
  readonly iat?: number;
  readonly scope?: string;
  readonly scp?: string | readonly string[];
};

/** Reads the scopes a verified token grants. */
export type GrantedScopesReader = (claims: JwtClaims) => readonly string[] | null | undefined;

export interface JwtValidatorOptions<TPrincipal = JwtClaims> {
  /** The JWS algorithms accepted, e.g. `['RS256']`. Required; never read from the token. HS* and public-key algorithms do not mix. */
  algorithms: readonly JwtAlgorithm[];
  /**
   * Local key material: an HMAC secret (string or bytes, for HS*), a PEM public key, a JWK, a KeyObject, or several.
   * Built into key objects once, in the constructor. Give this, or `jwksUri`, or `issuer` alone (OpenID Connect discovery).
   */
  key?: JwtKeyInput | readonly JwtKeyInput[];
  /** The identity provider's JWKS URL. Default with `issuer` and no `key`: the `jwks_uri` of its discovery document. */
  jwksUri?: string;
  /** The discovery document URL. Default: `${issuer}/.well-known/openid-configuration`. */
  openIdConnectUrl?: string;
  /** The expected `iss`. Required with a JWKS or discovery; the discovery document must name the same issuer. */
  issuer?: string | readonly string[];
  /** The expected `aud` (one of them must be in the token). Required with a JWKS or discovery: an IdP signs tokens for many APIs. */
  audience?: string | readonly string[];
  /** Allowed clock skew for `exp`, `nbf` and `iat`, in seconds. Default 5. */
  clockTolerance?: number;
  /** The required `typ` header, e.g. `'at+jwt'` for RFC 9068 access tokens (`application/` prefix and case ignored). */
  typ?: string;
  /**
   * Where the granted scopes are: `'scope'` (space-separated string), `'scp'` (array or string), or a function
   * (e.g. Keycloak's `realm_access.roles`). Default: `scope`, else `scp`.
   */
  scopes?: 'scope' | 'scp' | GrantedScopesReader;
  /**
   * Turns verified claims into the application's user; runs on every request (the claims are cached, not the user).
   * A falsy result is a 401. Default: the principal is the claims.
   */
  toPrincipal?: (claims: JwtClaims, context: ExecutionContext) => TPrincipal | null | undefined | false | Promise<TPrincipal | null | undefined | false>;
  /** Accept tokens without a finite `exp`. Default false. */
  allowMissingExp?: boolean;
  /** Accept tokens whose `iat` is in the future beyond `clockTolerance`. Default false. */
  allowFutureIat?: boolean;
  /** Cache of verified tokens until their `exp`: its size, or `false` for none. Default `{ max: 10000, maxAgeSeconds: 300 }`. */
  cache?: { max?: number; maxAgeSeconds?: number } | false;
  /**
   * The revocation store checked on every request, verified-token-cache hits included (a revoked token is a 401
   * `invalid_token`). Default: SecuritySchemesModule's store (its `revocation` option, in memory by default),
   * handed to the validator at start-up. `false`: no revocation check.
   */
  revocation?: RevocationStore | false;
  /** Cooldown, timeouts and refresh of the remote key set. */
  jwks?: JwksOptions;
  /**
   * DPoP-bound tokens (RFC 9449): `{ mode: 'allowed' }` (Bearer or DPoP) or `{ mode: 'required' }` (DPoP only). The
   * scheme then also takes `Authorization: DPoP <token>` with its `DPoP` proof. Default: off (Bearer only). See docs/dpop.md.
   */
  dpop?: DPoPOptions;
}
