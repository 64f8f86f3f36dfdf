import type { GrantedScopesReader } from '../jwt/jwt-validator-options.interface.js';
import type { RevocationStore } from '../../revocation/revocation-store.js';
import type { ClaimsToPrincipal } from '../token-principal.js';
import type { DPoPOptions } from '../dpop/dpop-options.interface.js';

/** What the introspection endpoint said about an active token (RFC 7662 §2.2); `iss` is the issuer's when it did not say. */
export type IntrospectionClaims = Readonly<Record<string, unknown>> & {
  readonly active: true;
  readonly iss: string;
  readonly scope?: string;
  readonly client_id?: string;
  readonly sub?: string;
  readonly exp?: number;
  readonly iat?: number;
  readonly nbf?: number;
  readonly aud?: string | readonly string[];
  readonly token_type?: string;
};

/** How the API authenticates to the introspection endpoint as a client (RFC 7662 §2.1). */
export type IntrospectionClientAuthentication = 'client_secret_basic' | 'client_secret_post';

/** The introspection endpoint of one issuer, and how its answers are cached. */
export interface IntrospectionEndpointOptions {
  /** The API's client id at the identity provider. */
  clientId: string;
  /** The API's client secret. */
  clientSecret: string;
  /** `client_secret_basic` (HTTP Basic, the default) or `client_secret_post` (in the form body). */
  clientAuthentication?: IntrospectionClientAuthentication;
  /** The introspection endpoint. Default: `introspection_endpoint` of the issuer's discovery document. */
  endpoint?: string;
  /** The discovery document URL. Default: `${issuer}/.well-known/openid-configuration`. */
  openIdConnectUrl?: string;
  /** When given, the answer's `aud` must contain one of these. */
  audience?: string | readonly string[];
  /** Where the granted scopes are: `'scope'` (RFC 7662, the default), `'scp'`, or a function of the answer. */
  scopes?: 'scope' | 'scp' | GrantedScopesReader;
  /**
   * Active answers are kept until the token's `exp`, and at most `maxAgeSeconds` (default 60): a token
   * revoked at the provider is still accepted for up to that long. `false`: ask on every request.
   */
  cache?: { max?: number; maxAgeSeconds?: number } | false;
  /** Inactive (and otherwise refused) answers are kept this many seconds, so a replayed bad token is not asked again. Default 5; 0 for none. */
  inactiveCacheSeconds?: number;
  /** Timeout of each introspection and discovery request, in milliseconds. Default 5000. */
  timeoutMs?: number;
  /** `Retry-After` of the 503 sent when the endpoint cannot answer, in seconds. Default 5. */
  retryAfterSeconds?: number;
  /** Allowed clock skew for `exp` and `nbf`, in seconds. Default 5. */
  clockTolerance?: number;
}

export interface IntrospectionValidatorOptions<TPrincipal = IntrospectionClaims> extends IntrospectionEndpointOptions {
  /** The issuer: its discovery document names the endpoint, and an answer's `iss`, if any, must be it. */
  issuer: string;
  /** Turns the answer into the application's user; runs on every request. A falsy result is a 401. Default: the answer. */
  toPrincipal?: ClaimsToPrincipal<IntrospectionClaims, TPrincipal>;
  /**
   * Tokens revoked in the application (`jti`, `sid`, `sub` + `iat` of the answer), checked on every request,
   * cached answers included: a 401 (reason `revoked`). Default: the module's store, if any; `false`: none.
   */
  revocation?: RevocationStore | false;
  /**
   * DPoP-bound tokens (RFC 9449): `{ mode: 'allowed' }` or `{ mode: 'required' }`. An answer with `cnf.jkt` (and
   * `token_type: "DPoP"`) is then accepted, for requests whose proof is signed by that key. Default: off, and an
   * answer with `cnf` is refused. See docs/dpop.md.
   */
  dpop?: DPoPOptions;
}
