import { Logger, type ExecutionContext } from '@nestjs/common';
import type { ValidatorRefusal } from '../../core/security-options.interface.js';
import type { SecurityScheme } from '../../schemes/security-scheme.js';
import { bearerToken, scopesReader } from '../bearer-token.js';
import type { IntrospectionClaims } from '../introspection/introspection-options.interface.js';
import { IntrospectionClient } from '../introspection/introspection-validator.js';
import type { GrantedScopesReader, JwtClaims } from '../jwt/jwt-validator-options.interface.js';
import { decodeJws, InvalidTokenError, type DecodedJws } from '../jwt/jws.js';
import { JwtValidator } from '../jwt/jwt-validator.js';
import { KeySetPool } from '../jwt/key-set-pool.js';
import type { HTTPAuthorizationCredentials } from '../../schemes/models.js';
import type { SecurityValidator, ValidationResult } from '../../core/security-options.interface.js';
import type { SecurityScopes } from '../../core/security-scopes.js';
import type { Grant } from '../../core/grant.js';
import { grantForRequest, verifiedTokenGrant, type ClaimsToPrincipal, type TokenGrant } from '../token-principal.js';
import type { RevocableClaims, RevocationStore } from '../../revocation/revocation-store.js';
import { revokedTokenError } from '../../revocation/revoked-token.js';
import { ValidatorRevocation } from '../../revocation/validator-revocation.js';
import { asBearerGrant, tokenRefusal, tokenValidatorRefusals } from '../token-refusal.js';
import { VerifiedTokenCache } from '../verified-token-cache.js';
import { BoundedMap } from '../bounded-map.js';
import { DPoPCheck } from '../dpop/dpop-check.js';
import type { IssuedTokenClaims, IssuerResolver, IssuerSettings, MultiIssuerValidatorOptions, TrustedIssuer } from './multi-issuer-options.interface.js';

const OWNER = 'MultiIssuerValidator';

/** How one trusted issuer's tokens are checked, built once. */
interface IssuerChecks {
  readonly issuer: string;
  readonly jwt: JwtValidator | undefined;
  readonly readScopes: GrantedScopesReader;
  readonly introspection: IntrospectionClient | undefined;
  /** Longest an introspection answer of this issuer is cached, in seconds. */
  readonly introspectionMaxAgeSeconds: number;
  /** Until when (seconds since the epoch) a resolved issuer is trusted without asking `resolveIssuer` again. */
  readonly trustedUntil: number;
}

interface Verified {
  /** What the token grants: its claims and scopes. */
  grant: Grant<IssuedTokenClaims>;
  /** Cache the grant until then (seconds since the epoch). */
  until: number;
}

/**
 * Accepts the tokens of several trusted issuers on the same routes: tenants of one provider, or two
 * providers during a migration. The token's `iss` is read before verification only to choose the issuer;
 * its signature is then checked with that issuer's keys alone (or the token is introspected at that
 * issuer's endpoint). An `iss` that is not trusted is refused (401, reason `issuer_untrusted`) without
 * any network request.
 *
 * ```ts
 * new MultiIssuerValidator({
 *   issuers: [
 *     { issuer: 'https://login.old.example', audience: 'api', algorithms: ['RS256'] },
 *     { issuer: 'https://id.new.example', introspection: { clientId: 'api', clientSecret } },
 *   ],
 * })
 * ```
 * A token that is not a JWT is opaque: it goes to the introspection endpoint of `opaqueTokenIssuer`
 * (default: the only issuer with `introspection`), and to no other.
 */
export class MultiIssuerValidator<TPrincipal = IssuedTokenClaims>
  implements SecurityValidator<string | HTTPAuthorizationCredentials, TPrincipal | IssuedTokenClaims>
{
  /** How many introspection requests were sent, all issuers together; for monitoring. */
  introspectionCalls = 0;
  /** DPoP (the `dpop` option), when on. */
  readonly dpop: DPoPCheck | undefined;
  private readonly logger = new Logger(OWNER);
  private readonly issuers = new Map<string, IssuerChecks>();
  private readonly resolveIssuer: IssuerResolver | undefined;
  private readonly resolved: BoundedMap<string, IssuerChecks> | undefined;
  private readonly trustedSeconds: number = Number.POSITIVE_INFINITY;
  private readonly refused: BoundedMap<string, true> | undefined;
  private readonly resolving = new Map<string, Promise<IssuerChecks | undefined>>();
  private readonly opaque: IssuerChecks | undefined;
  private readonly toPrincipal: ClaimsToPrincipal<IssuedTokenClaims, TPrincipal> | undefined;
  /** What each verified token grants (its claims and scopes), by token. */
  private readonly cache: VerifiedTokenCache<Grant<IssuedTokenClaims>> | undefined;
  /** Checked on every request, cache hits included. */
  private readonly revocation: ValidatorRevocation;
  /** The issuers' key sets, by source: they outlive an issuer's eviction from the cache of resolved issuers. */
  private readonly keySets: KeySetPool;

  constructor(options: MultiIssuerValidatorOptions<TPrincipal>) {
    if (!options || typeof options !== 'object') throw new Error(`${OWNER}: options are required.`);
    this.dpop = options.dpop === undefined ? undefined : new DPoPCheck(OWNER, options.dpop);
    const list = options.issuers ?? [];
    if (!Array.isArray(list)) throw new Error(`${OWNER}: issuers must be a list of { issuer, ... }.`);
    const bounds = options.resolvedIssuers ?? {};
    const max = positiveInteger('resolvedIssuers.max', bounds.max, 100);
    // Ten times the issuers resolved at once: cycling through more issuers than the cache holds refetches nothing.
    this.keySets = new KeySetPool(Math.max(10 * max, list.length), () => this.cache?.clear());
    if (list.length === 0 && options.resolveIssuer === undefined) {
      throw new Error(`${OWNER}: give "issuers" (a list of trusted issuers) or "resolveIssuer" (a function of the iss), or both.`);
    }
    list.forEach((entry: TrustedIssuer, index) => {
      const where = `issuers[${index}]`;
      if (!entry || typeof entry.issuer !== 'string' || entry.issuer === '') throw new Error(`${OWNER}: ${where}.issuer must be a non-empty string.`);
      if (this.issuers.has(entry.issuer)) throw new Error(`${OWNER}: ${where}: the issuer ${JSON.stringify(entry.issuer)} is listed twice.`);
      this.issuers.set(entry.issuer, this.build(`${where} (${entry.issuer})`, entry.issuer, entry));
    });
    if (options.resolveIssuer !== undefined) {
      if (typeof options.resolveIssuer !== 'function') throw new Error(`${OWNER}: resolveIssuer must be a function (iss) => settings | undefined.`);
      this.resolveIssuer = options.resolveIssuer;
      const refusedMax = positiveInteger('resolvedIssuers.refusedMax', bounds.refusedMax, 1000);
      const refusedSeconds = positiveSeconds('resolvedIssuers.refusedSeconds', bounds.refusedSeconds, 60);
      this.trustedSeconds = positiveSeconds('resolvedIssuers.trustedSeconds', bounds.trustedSeconds, 600);
      this.resolved = new BoundedMap(max, this.trustedSeconds * 1000);
      this.refused = new BoundedMap(refusedMax, refusedSeconds * 1000);
    }
    this.opaque = this.opaqueIssuer(options.opaqueTokenIssuer);
    if (options.toPrincipal !== undefined && typeof options.toPrincipal !== 'function') {
      throw new Error(`${OWNER}: toPrincipal must be a function (claims, context) => user.`);
    }
    this.toPrincipal = options.toPrincipal;
    this.cache = options.cache === false ? undefined : new VerifiedTokenCache({ max: 10000, maxAgeSeconds: 300, ...options.cache });
    this.revocation = new ValidatorRevocation(OWNER, options.revocation);
  }

  /** With `dpop`, its scheme also reads `Authorization: DPoP` and names DPoP in its challenge (called by the module). */
  prepareScheme(scheme: SecurityScheme): void {
    if (this.dpop) scheme.acceptDPoP(this.dpop.challenges);
  }

  /** For the OpenAPI document: `invalid_token` (or DPoP's answers), and a 503 when the identity provider is out of reach. */
  documentedRefusals(): ValidatorRefusal[] {
    return tokenValidatorRefusals(true, this.dpop);
  }

  /** Called by SecuritySchemesModule at start-up with its revocation store; ignored when `revocation` was given. */
  useModuleRevocationStore(store: RevocationStore): void {
    this.revocation.useModuleStore(store);
    this.dpop?.useModuleStore(store); // DPoP proofs' jtis, unless dpop.replay names another store
  }

  /**
   * True when these verified claims are revoked in the store this validator checks (its own, or the module's),
   * as it would refuse them now. Gateway connections and graphql-ws subscriptions it authorized are checked with it.
   */
  isRevoked(claims: RevocableClaims): boolean {
    return this.revocation.store?.isRevoked(claims) ?? false;
  }

  /**
   * Called by SecuritySchemesModule at start-up: fetches the discovery document and key set of each listed
   * issuer once (see `JwtValidator.onSecurityModuleInit`).
   */
  async onSecurityModuleInit(): Promise<void> {
    await Promise.all([...this.issuers.values()].flatMap((checks) => [checks.jwt?.onSecurityModuleInit(), checks.introspection?.prepare()]));
  }

  /**
   * Forgets what `resolveIssuer` answered for `iss`, and every verified token (the cache does not tell issuers
   * apart): its next token asks the resolver again. For an issuer the application stopped trusting; listed
   * issuers are not affected.
   */
  forgetIssuer(iss: string): void {
    this.resolved?.delete(iss);
    this.refused?.delete(iss);
    this.resolving.delete(iss);
    this.cache?.clear();
  }

  /** This request's grant: the principal (the claims, or what `toPrincipal` makes of them), the token's scopes and claims. */
  validate(
    credentials: unknown,
    _scopes: SecurityScopes,
    context: ExecutionContext,
  ): TokenGrant<TPrincipal | IssuedTokenClaims> | Promise<TokenGrant<TPrincipal | IssuedTokenClaims>> {
    if (this.dpop !== undefined) return this.dpop.validate(credentials, context, this.verifiedGrant, (verified) => this.grantOf(verified, context));
    const verified = this.verifiedGrant(bearerToken(credentials));
    return verified instanceof Promise
      ? verified.then((value) => this.grantOf(asBearerGrant(value), context))
      : this.grantOf(asBearerGrant(verified), context);
  }

  /** What a token grants: from the verified-token cache, or verified now (by its issuer) and cached. Throws (or rejects with) the refusal. */
  private readonly verifiedGrant = (token: string): Grant<IssuedTokenClaims> | Promise<Grant<IssuedTokenClaims>> => {
    const cached = this.cache?.get(token);
    if (cached !== undefined) return cached;
    let verified: Verified | Promise<Verified>;
    try {
      verified = this.verify(token);
    } catch (error) {
      throw tokenRefusal(error);
    }
    if (!(verified instanceof Promise)) return this.remember(token, verified);
    return verified.then(
      (value) => this.remember(token, value),
      (error: unknown) => {
        throw tokenRefusal(error);
      },
    );
  };

  private grantOf(verified: Grant<IssuedTokenClaims>, context: ExecutionContext) {
    if (this.revocation.store?.isRevoked(verified.principal)) throw revokedTokenError(); // a cached token may have been revoked since
    return grantForRequest(verified, this.toPrincipal, context);
  }

  /** Chooses the issuer and checks the token with it alone. Throws `InvalidTokenError` or an unavailable-provider error. */
  private verify(token: string): Verified | Promise<Verified> {
    const jws = decodeOrUndefined(token);
    if (jws === undefined) {
      if (this.opaque === undefined) throw new InvalidTokenError('malformed', 'not a JWT, and no issuer introspects opaque tokens');
      return this.introspect(this.opaque, token);
    }
    const iss = jws.payload.iss;
    if (typeof iss !== 'string') throw new InvalidTokenError('issuer_untrusted', 'the token names no issuer');
    const checks = this.issuerChecks(iss);
    if (checks === undefined) throw new InvalidTokenError('issuer_untrusted', 'the issuer is not trusted');
    if (!(checks instanceof Promise)) return this.verifyWith(checks, token);
    return checks.then((resolved) => {
      if (resolved === undefined) throw new InvalidTokenError('issuer_untrusted', 'the issuer is not trusted');
      return this.verifyWith(resolved, token);
    });
  }

  private verifyWith(checks: IssuerChecks, token: string): Verified | Promise<Verified> {
    if (checks.jwt === undefined) return this.introspect(checks, token).then((verified) => trustedFor(checks, verified));
    const claims = checks.jwt.verify(token);
    if (!(claims instanceof Promise)) return trustedFor(checks, this.jwtVerified(checks, claims));
    return claims.then((value) => trustedFor(checks, this.jwtVerified(checks, value)));
  }

  private jwtVerified(checks: IssuerChecks, claims: JwtClaims): Verified {
    return { grant: verifiedTokenGrant(claims, checks.readScopes(claims)), until: typeof claims.exp === 'number' ? claims.exp : Number.POSITIVE_INFINITY };
  }

  private introspect(checks: IssuerChecks, token: string): Promise<Verified> {
    return checks.introspection!.introspect(token).then((claims: IntrospectionClaims) => {
      const limit = Date.now() / 1000 + checks.introspectionMaxAgeSeconds;
      const until = typeof claims.exp === 'number' ? Math.min(claims.exp, limit) : limit;
      return { grant: verifiedTokenGrant(claims, checks.introspection!.scopesOf(claims)), until };
    });
  }

  private remember(token: string, verified: Verified): Grant<IssuedTokenClaims> {
    this.cache?.set(token, verified.grant, verified.until);
    return verified.grant;
  }

  /** The checks of a trusted issuer, undefined for an untrusted one; `resolveIssuer`'s answers are cached. */
  private issuerChecks(iss: string): IssuerChecks | undefined | Promise<IssuerChecks | undefined> {
    const listed = this.issuers.get(iss);
    if (listed !== undefined || this.resolveIssuer === undefined) return listed;
    const resolved = this.resolved!.get(iss);
    if (resolved !== undefined) return resolved;
    if (this.refused!.get(iss)) return undefined;
    let pending = this.resolving.get(iss);
    if (pending === undefined) {
      const resolution: Promise<IssuerChecks | undefined> = Promise.resolve()
        .then(() => this.resolveIssuer!(iss))
        .then((settings) => {
          const current = this.resolving.get(iss) === resolution; // not forgotten meanwhile
          if (!settings) {
            if (current) this.refused!.set(iss, true);
            return undefined;
          }
          const checks = this.build(`resolveIssuer(${JSON.stringify(iss)})`, iss, settings, Date.now() / 1000 + this.trustedSeconds);
          if (current) this.resolved!.set(iss, checks);
          return checks;
        })
        .catch((error: unknown) => {
          // A throwing resolver or settings it cannot use: refuse this token, ask again for the next one.
          this.logger.error(`Could not resolve the issuer ${JSON.stringify(iss)}: ${error instanceof Error ? error.message : String(error)}`);
          return undefined;
        })
        .finally(() => {
          if (this.resolving.get(iss) === resolution) this.resolving.delete(iss);
        });
      this.resolving.set(iss, (pending = resolution));
    }
    return pending;
  }

  private build(where: string, issuer: string, settings: IssuerSettings, trustedUntil = Number.POSITIVE_INFINITY): IssuerChecks {
    if (!settings || typeof settings !== 'object') throw new Error(`${OWNER}: ${where}: settings must be an object.`);
    if ((settings as { dpop?: unknown }).dpop !== undefined) throw new Error(`${OWNER}: ${where}: dpop is set once, in the options of MultiIssuerValidator, for every issuer.`);
    const { introspection, ...jwtSettings } = settings;
    if (settings.algorithms === undefined && introspection === undefined) {
      throw new Error(`${OWNER}: ${where}: give "algorithms" (JWTs verified with the issuer's keys) or "introspection" (opaque tokens), or both.`);
    }
    try {
      const jwt = settings.algorithms === undefined ? undefined : new JwtValidator({ ...jwtSettings, algorithms: settings.algorithms, issuer, cache: false }, this.keySets);
      const client =
        introspection === undefined ? undefined : new IntrospectionClient(OWNER, issuer, introspection, () => this.introspectionCalls++, this.dpop !== undefined);
      const maxAge = introspection === undefined || introspection.cache === false ? 0 : (introspection.cache?.maxAgeSeconds ?? 60);
      const scopes = settings.algorithms === undefined ? undefined : settings.scopes;
      return { issuer, jwt, readScopes: scopesReader(scopes, OWNER), introspection: client, introspectionMaxAgeSeconds: maxAge, trustedUntil };
    } catch (error) {
      throw new Error(`${OWNER}: ${where}: ${error instanceof Error ? error.message.replace(/^\w+Validator: /, '') : String(error)}`);
    }
  }

  private opaqueIssuer(name: string | undefined): IssuerChecks | undefined {
    const introspecting = [...this.issuers.values()].filter((checks) => checks.introspection !== undefined);
    if (name !== undefined) {
      const checks = this.issuers.get(name);
      if (checks?.introspection === undefined) throw new Error(`${OWNER}: opaqueTokenIssuer ${JSON.stringify(name)} must be one of "issuers" with "introspection".`);
      return checks;
    }
    if (introspecting.length > 1) {
      throw new Error(
        `${OWNER}: several issuers have "introspection" (${introspecting.map((checks) => checks.issuer).join(', ')}); an opaque token names no issuer ` +
          'and is never sent to several: set opaqueTokenIssuer.',
      );
    }
    return introspecting[0];
  }
}

/**
 * The decoded JWS, or undefined when the token is not a JWT: an opaque token is anything but three
 * dot-separated parts. A token of three parts that does not decode is a malformed JWT, never introspected.
 */
function decodeOrUndefined(token: string): DecodedJws | undefined {
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  if (second < 0 || token.indexOf('.', second + 1) >= 0) return undefined;
  return decodeJws(token);
}

/** A resolved issuer's tokens are cached no longer than the issuer is trusted. */
function trustedFor(checks: IssuerChecks, verified: Verified): Verified {
  if (verified.until > checks.trustedUntil) verified.until = checks.trustedUntil;
  return verified;
}

function positiveSeconds(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) throw new Error(`${OWNER}: ${name} must be a positive number of seconds.`);
  return value;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`${OWNER}: ${name} must be a positive integer.`);
  return value;
}
