import type { IntrospectionClaims, IntrospectionEndpointOptions } from '../introspection/introspection-options.interface.js';
import type { JwtClaims, JwtValidatorOptions } from '../jwt/jwt-validator-options.interface.js';
import type { RevocationStore } from '../../revocation/revocation-store.js';
import type { ClaimsToPrincipal } from '../token-principal.js';
import type { DPoPOptions } from '../dpop/dpop-options.interface.js';

/** An issuer whose JWTs are verified with its keys (`key`, `jwksUri` or discovery); opaque tokens too with `introspection`. */
export interface JwtIssuerSettings extends Omit<JwtValidatorOptions, 'issuer' | 'toPrincipal' | 'cache' | 'dpop'> {
  /** This issuer's introspection endpoint, for its opaque tokens (RFC 7662). */
  introspection?: IntrospectionEndpointOptions;
}

/** An issuer whose tokens are all introspected (RFC 7662); its scopes are read as `introspection.scopes` says. */
export interface IntrospectedIssuerSettings {
  introspection: IntrospectionEndpointOptions;
  algorithms?: undefined;
}

/**
 * How the tokens of one trusted issuer are checked: JWTs with its keys (`algorithms`, and `key`,
 * `jwksUri` or discovery), opaque tokens at its introspection endpoint (`introspection`), or both.
 */
export type IssuerSettings = JwtIssuerSettings | IntrospectedIssuerSettings;

/** A trusted issuer: its exact `iss` and how its tokens are checked. */
export type TrustedIssuer = IssuerSettings & { issuer: string };

/** Decides whether an `iss` is trusted (e.g. one tenant of a multi-tenant provider) and how its tokens are checked. */
export type IssuerResolver = (iss: string) => IssuerSettings | null | undefined | false | Promise<IssuerSettings | null | undefined | false>;

/** The claims behind a principal: a JWT's, or an introspection answer. */
export type IssuedTokenClaims = JwtClaims | IntrospectionClaims;

export interface MultiIssuerValidatorOptions<TPrincipal = IssuedTokenClaims> {
  /** The trusted issuers, each with its own keys or introspection endpoint, audience, algorithms and scopes. */
  issuers?: readonly TrustedIssuer[];
  /**
   * For issuers not in `issuers`: decides from the `iss` whether it is trusted. Its answers are cached
   * (trusted ones `resolvedIssuers.trustedSeconds` in a bounded LRU, refused ones `resolvedIssuers.refusedSeconds`),
   * so it runs about once per issuer; `forgetIssuer(iss)` drops an answer at once.
   */
  resolveIssuer?: IssuerResolver;
  /**
   * Bounds of the cache of `resolveIssuer`'s answers. Default `{ max: 100, trustedSeconds: 600, refusedMax: 1000,
   * refusedSeconds: 60 }`: a trusted issuer is asked about again after `trustedSeconds`, and its tokens are not
   * served from the verified-token cache beyond that.
   */
  resolvedIssuers?: { max?: number; trustedSeconds?: number; refusedMax?: number; refusedSeconds?: number };
  /**
   * The issuer whose introspection endpoint receives tokens that are not JWTs (an opaque token names no
   * issuer). Default: the only issuer of `issuers` with `introspection`. Never sent to several.
   */
  opaqueTokenIssuer?: string;
  /** Turns verified claims (with `iss`) into the application's user; runs on every request. A falsy result is a 401. */
  toPrincipal?: ClaimsToPrincipal<IssuedTokenClaims, TPrincipal>;
  /** Cache of verified tokens (both kinds) until their `exp`. Default `{ max: 10000, maxAgeSeconds: 300 }`; `false` for none. */
  cache?: { max?: number; maxAgeSeconds?: number } | false;
  /**
   * Revoked tokens (`jti`, `sid`, `sub` + `iat`), checked on every request, cache hits included; a revoked
   * one is a 401 (reason `revoked`). Default: the module's store, if it has one; `false`: none. The store
   * does not tell issuers apart: revoking a `sub` revokes it at every issuer.
   */
  revocation?: RevocationStore | false;
  /**
   * DPoP-bound tokens (RFC 9449) of every issuer: `{ mode: 'allowed' }` or `{ mode: 'required' }`, set once for all
   * (a JWT's `cnf.jkt`, or an introspection answer's). Default: off. See docs/dpop.md.
   */
  dpop?: DPoPOptions;
}
