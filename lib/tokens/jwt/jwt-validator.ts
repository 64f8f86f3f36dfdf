import type { ExecutionContext } from '@nestjs/common';
import type { ValidatorRefusal } from '../../core/security-options.interface.js';
import type { SecurityScheme } from '../../schemes/security-scheme.js';
import type { KeyObject } from 'node:crypto';
import type { Grant } from '../../core/grant.js';
import { bearerToken, scopesReader } from '../bearer-token.js';
import { HTTPAuthorizationCredentials } from '../../schemes/models.js';
import type { RevocableClaims, RevocationStore } from '../../revocation/revocation-store.js';
import { revokedTokenError } from '../../revocation/revoked-token.js';
import { ValidatorRevocation } from '../../revocation/validator-revocation.js';
import type { SecurityValidator } from '../../core/security-options.interface.js';
import type { SecurityScopes } from '../../core/security-scopes.js';
import { grantForRequest, verifiedTokenGrant, type TokenGrant } from '../token-principal.js';
import { asBearerGrant, tokenRefusal, tokenValidatorRefusals } from '../token-refusal.js';
import { VerifiedTokenCache } from '../verified-token-cache.js';
import { DPoPCheck } from '../dpop/dpop-check.js';
import { algorithmSpecs, type AlgorithmSpec } from './algorithms.js';
import { decodeJws, InvalidTokenError, type DecodedJws } from './jws.js';
import { RemoteKeySet } from './jwks.js';
import type { KeySetPool } from './key-set-pool.js';
import { buildStaticKeys, type VerificationKey } from './keys.js';
import type { GrantedScopesReader, JwtClaims, JwtValidatorOptions } from './jwt-validator-options.interface.js';

export { INVALID_TOKEN_CHALLENGE } from '../bearer-token.js';

const OWNER = 'JwtValidator';

/**
 * Verifies JWT bearer tokens: a signature by a configured key or by a key of the identity provider's
 * JWKS (found through OpenID Connect discovery), pinned algorithms, `exp`/`nbf`/`iat`, `iss`, `aud` and
 * optionally `typ`. The principal is the claims, or what `toPrincipal` makes of them; the granted scopes
 * are read from `scope` or `scp`. Register an instance as a bearer scheme's validator:
 *
 * ```ts
 * SecuritySchemesModule.forRoot({
 *   schemes: [{ scheme: bearer, validator: new JwtValidator({ issuer, audience: 'api', algorithms: ['RS256'] }) }],
 * })
 * ```
 * A refused token is a 401 with `WWW-Authenticate: Bearer error="invalid_token"`. A token that needs a
 * key the validator could not fetch (provider unreachable) is a 503 with `Retry-After`.
 */
export class JwtValidator<TPrincipal = JwtClaims> implements SecurityValidator<string | HTTPAuthorizationCredentials, TPrincipal | JwtClaims> {
  /** The remote key set, when keys come from a JWKS. */
  readonly keySet: RemoteKeySet | undefined;
  /** DPoP (the `dpop` option), when on. */
  readonly dpop: DPoPCheck | undefined;
  private readonly specs: Map<string, AlgorithmSpec>;
  private readonly staticKeys: readonly VerificationKey[] | undefined;
  private readonly staticKeysHaveKids: boolean;
  /** Every static key, for tokens that name no `kid` (built once). */
  private readonly allStaticKeys: readonly KeyObject[] | undefined;
  private readonly issuers: readonly string[] | undefined;
  private readonly audiences: readonly string[] | undefined;
  private readonly toleranceSeconds: number;
  private readonly typ: string | undefined;
  private readonly readScopes: GrantedScopesReader;
  private readonly toPrincipal: JwtValidatorOptions<TPrincipal>['toPrincipal'];
  private readonly allowMissingExp: boolean;
  private readonly allowFutureIat: boolean;
  /** What each verified token grants (its claims and scopes), by token. */
  private readonly cache: VerifiedTokenCache<Grant<JwtClaims>> | undefined;
  /** Checked on every request, cache hits included. */
  private readonly revocation: ValidatorRevocation;

  /** `keySets` (internal): take the remote key set from this pool, shared by source, instead of building one; needs `cache: false`. */
  constructor(options: JwtValidatorOptions<TPrincipal>, keySets?: KeySetPool) {
    if (!options || typeof options !== 'object') throw new Error(`${OWNER}: options are required.`);
    this.specs = algorithmSpecs(OWNER, options.algorithms);
    this.issuers = stringList('issuer', options.issuer);
    this.audiences = stringList('audience', options.audience);
    this.toleranceSeconds = options.clockTolerance ?? 5;
    if (!(this.toleranceSeconds >= 0) || !Number.isFinite(this.toleranceSeconds)) {
      throw new Error(`${OWNER}: clockTolerance must be a number of seconds >= 0.`);
    }
    if (options.typ !== undefined && (typeof options.typ !== 'string' || options.typ === '')) {
      throw new Error(`${OWNER}: typ must be a non-empty string such as 'at+jwt'.`);
    }
    this.typ = options.typ === undefined ? undefined : normalizeTyp(options.typ);
    this.readScopes = scopesReader(options.scopes);
    if (options.toPrincipal !== undefined && typeof options.toPrincipal !== 'function') {
      throw new Error(`${OWNER}: toPrincipal must be a function (claims, context) => user.`);
    }
    this.toPrincipal = options.toPrincipal;
    this.allowMissingExp = options.allowMissingExp === true;
    this.allowFutureIat = options.allowFutureIat === true;
    this.cache = options.cache === false ? undefined : new VerifiedTokenCache({ max: 10000, maxAgeSeconds: 300, ...options.cache });
    this.revocation = new ValidatorRevocation(OWNER, options.revocation);
    this.dpop = options.dpop === undefined ? undefined : new DPoPCheck(OWNER, options.dpop);

    if (options.key === undefined && options.jwksUri === undefined && options.openIdConnectUrl === undefined && options.issuer === undefined) {
      throw new Error(`${OWNER}: give "key" (a secret or public key), or "issuer" (OpenID Connect discovery), or "jwksUri".`);
    }
    const remote = options.key === undefined;
    if (options.key !== undefined && (options.jwksUri !== undefined || options.openIdConnectUrl !== undefined)) {
      throw new Error(`${OWNER}: give either "key" or a remote key set ("jwksUri", "openIdConnectUrl" or "issuer"), not both.`);
    }
    if (!remote) {
      this.staticKeys = buildStaticKeys(OWNER, options.key!, this.specs);
      this.staticKeysHaveKids = this.staticKeys.some((key) => key.kid !== undefined);
      this.allStaticKeys = this.staticKeys.map((entry) => entry.key);
      return;
    }
    this.staticKeysHaveKids = false;
    if ([...this.specs.values()].some((spec) => spec.symmetric)) {
      throw new Error(`${OWNER}: HMAC algorithms (HS*) need a local "key"; a JWKS only provides public keys.`);
    }
    if (!this.issuers) throw new Error(`${OWNER}: "issuer" is required when keys come from an identity provider.`);
    if (!this.audiences) {
      throw new Error(`${OWNER}: "audience" is required when keys come from an identity provider: it signs tokens for other APIs too.`);
    }
    const jwksUri = options.jwksUri === undefined ? undefined : url('jwksUri', options.jwksUri);
    const discoveryUrl =
      options.openIdConnectUrl === undefined
        ? `${this.issuers[0].replace(/\/+$/, '')}/.well-known/openid-configuration`
        : url('openIdConnectUrl', options.openIdConnectUrl);
    const source = jwksUri !== undefined ? { jwksUri } : { discoveryUrl, issuer: this.issuers[0] };
    if (keySets && this.cache) throw new Error(`${OWNER}: a validator that shares its key set must not cache tokens (cache: false).`);
    this.keySet = keySets ? keySets.keySet(source, this.specs, options.jwks) : new RemoteKeySet(source, this.specs, options.jwks, () => this.onKeysRemoved());
  }

  /** With `dpop`, its scheme also reads `Authorization: DPoP` and names DPoP in its challenge (called by the module). */
  prepareScheme(scheme: SecurityScheme): void {
    if (this.dpop) scheme.acceptDPoP(this.dpop.challenges);
  }

  /** For the OpenAPI document: `invalid_token` (or DPoP's answers), and a 503 when keys are fetched. */
  documentedRefusals(): ValidatorRefusal[] {
    // On the prototype (a provider class not built yet) the key set is unknown: it may be remote.
    const built = Object.prototype.hasOwnProperty.call(this, 'keySet');
    return tokenValidatorRefusals(!built || this.keySet !== undefined, this.dpop);
  }

  /**
   * Called by SecuritySchemesModule at start-up: fetches the discovery document and the key set once. A provider
   * that is down is a warning (with the URL and the cause), not fatal; a discovery document that names another
   * issuer is logged as a configuration error, and the tokens are then refused (`issuer_mismatch`).
   */

  async onSecurityModuleInit(): Promise<void> {
    await this.keySet?.prefetch();
  }

  /** A fetch of the key set found keys gone: tokens they signed must not stay cached. */
  protected onKeysRemoved(): void {
    this.cache?.clear();
  }

  /** This request's grant: the principal (the claims, or what `toPrincipal` makes of them), the token's scopes and claims. */
  validate(credentials: unknown, _scopes: SecurityScopes, context: ExecutionContext): TokenGrant<TPrincipal | JwtClaims> | Promise<TokenGrant<TPrincipal | JwtClaims>> {
    if (this.dpop !== undefined) return this.dpop.validate(credentials, context, this.verifiedGrant, (verified) => this.grantOf(verified, context));
    const verified = this.verifiedGrant(bearerToken(credentials));
    return verified instanceof Promise
      ? verified.then((value) => this.grantOf(asBearerGrant(value), context))
      : this.grantOf(asBearerGrant(verified), context);
  }

  /** What a token grants: from the verified-token cache, or verified now and cached. Throws (or rejects with) the refusal. */
  private readonly verifiedGrant = (token: string): Grant<JwtClaims> | Promise<Grant<JwtClaims>> => {
    const cached = this.cache?.get(token);
    if (cached !== undefined) return cached;
    let verified: JwtClaims | Promise<JwtClaims>;
    try {
      verified = this.verify(token);
    } catch (error) {
      throw tokenRefusal(error);
    }
    if (!(verified instanceof Promise)) return this.remember(token, verified);
    return verified.then(
      (claims) => this.remember(token, claims),
      (error: unknown) => {
        throw tokenRefusal(error);
      },
    );
  };

  /**
   * Called by SecuritySchemesModule at start-up with the module's revocation store; ignored when this
   * validator was given its own `revocation` option (or `false`). DPoP proofs' `jti`s are used once in it
   * (unless `dpop.replay` names another store), whatever `revocation` says.
   */
  useModuleRevocationStore(store: RevocationStore): void {
    this.revocation.useModuleStore(store);
    this.dpop?.useModuleStore(store);
  }

  /**
   * True when these verified claims are revoked in the store this validator checks (its own, or the module's),
   * as it would refuse them now. Gateway connections and graphql-ws subscriptions it authorized are checked with it.
   */
  isRevoked(claims: RevocableClaims): boolean {
    return this.revocation.store?.isRevoked(claims) ?? false;
  }

  /** Verifies a token and returns its claims; throws `InvalidTokenError` or `KeySetUnavailableError`. */
  verify(token: string): JwtClaims | Promise<JwtClaims> {
    const jws = decodeJws(token);
    const spec = typeof jws.header.alg === 'string' ? this.specs.get(jws.header.alg) : undefined;
    if (!spec) throw new InvalidTokenError('algorithm_not_allowed', 'alg is not allowed');
    if (this.typ !== undefined && (typeof jws.header.typ !== 'string' || normalizeTyp(jws.header.typ) !== this.typ)) {
      throw new InvalidTokenError('typ_mismatch', 'typ is not the required one');
    }
    const kid = jws.header.kid;
    if (kid !== undefined && typeof kid !== 'string') throw new InvalidTokenError('malformed', 'kid is not a string');
    if (this.staticKeys) return this.check(jws, spec, this.staticKeysFor(kid));
    const keys = this.keySet!.cached(kid ?? '');
    if (keys) return this.check(jws, spec, keys);
    return this.keySet!.resolve(kid ?? '').then((resolved) => this.check(jws, spec, resolved));
  }

  private staticKeysFor(kid: string | undefined): readonly KeyObject[] {
    if (kid === undefined || !this.staticKeysHaveKids) return this.allStaticKeys!;
    return this.staticKeys!.filter((entry) => entry.kid === kid).map((entry) => entry.key);
  }

  private check(jws: DecodedJws, spec: AlgorithmSpec, keys: readonly KeyObject[]): JwtClaims {
    let verified = false;
    for (const key of keys) {
      if (spec.accepts(key) && verifies(spec, jws, key)) {
        verified = true;
        break;
      }
    }
    if (!verified) throw new InvalidTokenError('signature_invalid', 'invalid signature');
    return this.checkClaims(jws.payload as JwtClaims);
  }

  private checkClaims(claims: JwtClaims): JwtClaims {
    const now = Date.now() / 1000;
    const tolerance = this.toleranceSeconds;
    const { exp, nbf, iat, iss, aud } = claims;
    if (exp === undefined ? !this.allowMissingExp : !isFiniteNumber(exp)) throw new InvalidTokenError('malformed', 'exp is missing or not a number');
    if (exp !== undefined && now - tolerance >= exp) throw new InvalidTokenError('expired', 'expired');
    if (nbf !== undefined && (!isFiniteNumber(nbf) || nbf > now + tolerance)) throw new InvalidTokenError('not_yet_valid', 'not yet valid');
    if (iat !== undefined && (!isFiniteNumber(iat) || (iat > now + tolerance && !this.allowFutureIat))) {
      throw new InvalidTokenError('issued_in_future', 'issued in the future');
    }
    if (this.issuers && (typeof iss !== 'string' || !this.issuers.includes(iss))) throw new InvalidTokenError('issuer_untrusted', 'unexpected issuer');
    if (this.audiences) {
      const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
      if (!audiences.some((value) => this.audiences!.includes(value))) throw new InvalidTokenError('audience_mismatch', 'unexpected audience');
    }
    return claims;
  }

  private remember(token: string, claims: JwtClaims): Grant<JwtClaims> {
    const verified = verifiedTokenGrant(claims, this.readScopes(claims));
    this.cache?.set(token, verified, typeof claims.exp === 'number' ? claims.exp : Number.POSITIVE_INFINITY);
    return verified;
  }

  private grantOf(verified: Grant<JwtClaims>, context: ExecutionContext): TokenGrant<TPrincipal | JwtClaims> | Promise<TokenGrant<TPrincipal | JwtClaims>> {
    if (this.revocation.store?.isRevoked(verified.principal)) throw revokedTokenError(); // every request: a cached token may have been revoked since
    return grantForRequest(verified, this.toPrincipal, context) as TokenGrant<TPrincipal | JwtClaims> | Promise<TokenGrant<TPrincipal | JwtClaims>>;
  }
}

function normalizeTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

function stringList(name: string, value: string | readonly string[] | undefined): readonly string[] | undefined {
  if (value === undefined) return undefined;
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((item) => typeof item === 'string' && item !== '')) {
    throw new Error(`${OWNER}: ${name} must be a non-empty string or a list of them.`);
  }
  return list;
}

function url(name: string, value: string): string {
  try {
    return new URL(value).href;
  } catch {
    throw new Error(`${OWNER}: ${name} must be an absolute URL.`);
  }
}

/** A signature check that answers false, never throws (OpenSSL refuses some malformed signatures). */
function verifies(spec: AlgorithmSpec, jws: DecodedJws, key: KeyObject): boolean {
  try {
    return spec.verify(jws.signingInput, jws.signature, key);
  } catch {
    return false;
  }
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
