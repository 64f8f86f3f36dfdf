import { Logger, type ExecutionContext } from '@nestjs/common';
import type { ValidatorRefusal } from '../../core/security-options.interface.js';
import type { SecurityScheme } from '../../schemes/security-scheme.js';
import { bearerToken, scopesReader } from '../bearer-token.js';
import type { GrantedScopesReader } from '../jwt/jwt-validator-options.interface.js';
import { InvalidTokenError } from '../jwt/jws.js';
import type { HTTPAuthorizationCredentials } from '../../schemes/models.js';
import type { RefusalReason } from '../../core/refusal-reason.js';
import type { SecurityValidator } from '../../core/security-options.interface.js';
import type { SecurityScopes } from '../../core/security-scopes.js';
import type { Grant } from '../../core/grant.js';
import { grantForRequest, verifiedTokenGrant, type ClaimsToPrincipal, type TokenGrant } from '../token-principal.js';
import type { RevocableClaims, RevocationStore } from '../../revocation/revocation-store.js';
import { revokedTokenError } from '../../revocation/revoked-token.js';
import { ValidatorRevocation } from '../../revocation/validator-revocation.js';
import { tokenRefusal, tokenValidatorRefusals } from '../token-refusal.js';
import { VerifiedTokenCache } from '../verified-token-cache.js';
import type { IntrospectionClaims, IntrospectionEndpointOptions, IntrospectionValidatorOptions } from './introspection-options.interface.js';
import { IntrospectionUnavailableError } from './introspection-unavailable.error.js';
import { DPoPCheck } from '../dpop/dpop-check.js';

const OWNER = 'IntrospectionValidator';
const BEARER_TOKEN_TYPES = ['bearer', 'access_token'];
/** With DPoP: also a DPoP-bound token (RFC 9449 §6.2, `token_type: "DPoP"`), whose binding is checked on each request. */
const SENDER_CONSTRAINED_TOKEN_TYPES = [...BEARER_TOKEN_TYPES, 'dpop'];
const MAX_ANSWER_BYTES = 512 * 1024;

/**
 * Validates opaque access tokens by asking the issuer's introspection endpoint (RFC 7662), as an
 * authenticated client. Reads `active`, `scope`, `sub`, `exp`, `client_id` (and checks `iss`, `nbf`,
 * `aud` when configured, `token_type`).
 *
 * - Active answers are cached until the token's `exp`, at most `cache.maxAgeSeconds` (default 60).
 * - Inactive answers are cached `inactiveCacheSeconds` (default 5).
 * - Concurrent requests with the same new token share one introspection call.
 * - An endpoint that cannot answer (refused, timeout, error status, not JSON) gives 503 with `Retry-After`,
 *   as an unreachable JWKS does; an inactive token gives 401 `invalid_token`.
 *
 * ```ts
 * new IntrospectionValidator({ issuer: 'https://id.example.com', clientId: 'api', clientSecret: process.env.API_SECRET! })
 * ```
 */
export class IntrospectionValidator<TPrincipal = IntrospectionClaims>
  implements SecurityValidator<string | HTTPAuthorizationCredentials, TPrincipal | IntrospectionClaims>
{
  /** How many introspection requests were sent; for monitoring. */
  calls = 0;
  readonly issuer: string;
  /** DPoP (the `dpop` option), when on. */
  readonly dpop: DPoPCheck | undefined;
  private readonly client: IntrospectionClient;
  private readonly toPrincipal: ClaimsToPrincipal<IntrospectionClaims, TPrincipal> | undefined;
  /** What each active token grants (the answer's claims and scopes), by token. */
  private readonly cache: VerifiedTokenCache<Grant<IntrospectionClaims>> | undefined;
  private readonly maxAgeSeconds: number;
  /** Checked on every request, cache hits included. */
  private readonly revocation: ValidatorRevocation;

  constructor(options: IntrospectionValidatorOptions<TPrincipal>) {
    if (!options || typeof options !== 'object') throw new Error(`${OWNER}: options are required.`);
    if (typeof options.issuer !== 'string' || options.issuer === '') throw new Error(`${OWNER}: issuer must be a non-empty string.`);
    this.issuer = options.issuer;
    if (options.toPrincipal !== undefined && typeof options.toPrincipal !== 'function') {
      throw new Error(`${OWNER}: toPrincipal must be a function (claims, context) => user.`);
    }
    this.toPrincipal = options.toPrincipal;
    this.dpop = options.dpop === undefined ? undefined : new DPoPCheck(OWNER, options.dpop);
    this.client = new IntrospectionClient(OWNER, options.issuer, options, () => this.calls++, this.dpop !== undefined);
    this.maxAgeSeconds = options.cache === false ? 0 : (options.cache?.maxAgeSeconds ?? 60);
    this.cache = options.cache === false ? undefined : new VerifiedTokenCache({ max: 10000, maxAgeSeconds: 60, ...options.cache });
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
   * Called by SecuritySchemesModule at start-up: finds the introspection endpoint through discovery once
   * (a provider that is down is logged and asked again at the first token; a discovery document naming
   * another issuer is a configuration error, and tokens are then refused with `issuer_mismatch`).
   */
  onSecurityModuleInit(): Promise<void> {
    return this.client.prepare();
  }

  /** This request's grant: the principal (the answer's claims, or what `toPrincipal` makes of them), the token's scopes and claims. */
  validate(
    credentials: unknown,
    _scopes: SecurityScopes,
    context: ExecutionContext,
  ): TokenGrant<TPrincipal | IntrospectionClaims> | Promise<TokenGrant<TPrincipal | IntrospectionClaims>> {
    if (this.dpop !== undefined) return this.dpop.validate(credentials, context, this.verifiedGrant, (verified) => this.grantOf(verified, context));
    const verified = this.verifiedGrant(bearerToken(credentials));
    return verified instanceof Promise ? verified.then((value) => this.grantOf(value, context)) : this.grantOf(verified, context);
  }

  /** What a token grants: from the cache of active answers, or introspected now and cached. Rejects with the refusal. */
  private readonly verifiedGrant = (token: string): Grant<IntrospectionClaims> | Promise<Grant<IntrospectionClaims>> => {
    const cached = this.cache?.get(token);
    if (cached !== undefined) return cached;
    return this.verify(token).then(
      (claims) => {
        const verified = verifiedTokenGrant(claims, this.client.scopesOf(claims));
        this.cache?.set(token, verified, this.cacheUntil(claims));
        return verified;
      },
      (error: unknown) => {
        throw tokenRefusal(error);
      },
    );
  };

  private grantOf(verified: Grant<IntrospectionClaims>, context: ExecutionContext) {
    if (this.revocation.store?.isRevoked(verified.principal)) throw revokedTokenError(); // a cached answer may have been revoked since
    return grantForRequest(verified, this.toPrincipal, context);
  }

  /**
   * Asks the endpoint about a token (no look-up in the cache of active answers; concurrent calls for one
   * token share one request). Throws `InvalidTokenError` or `IntrospectionUnavailableError`.
   */
  verify(token: string): Promise<IntrospectionClaims> {
    return this.client.introspect(token);
  }

  /** Until when (seconds since the epoch) an active answer may be cached: its `exp`, at most the configured age. */
  cacheUntil(claims: IntrospectionClaims): number {
    const limit = Date.now() / 1000 + this.maxAgeSeconds;
    return typeof claims.exp === 'number' ? Math.min(claims.exp, limit) : limit;
  }
}

/** The introspection requests of one issuer: endpoint discovery, client authentication, single flight, inactive answers. */
export class IntrospectionClient {
  private readonly logger: Logger;
  private readonly clientId: string;
  private readonly clientSecret: string;
  private readonly basicAuthorization: string | undefined;
  private readonly discoveryUrl: string;
  private endpoint: string | undefined;
  private discovery: Promise<string> | undefined;
  /** Set when the discovery document named another issuer: a configuration error, not an outage. */
  private misconfiguration: string | undefined;
  private readonly audiences: readonly string[] | undefined;
  private readonly readScopes: GrantedScopesReader;
  private readonly inactive: VerifiedTokenCache<RefusalReason> | undefined;
  private readonly inflight = new Map<string, Promise<IntrospectionClaims>>();
  private readonly timeoutMs: number;
  private readonly retryAfterSeconds: number;
  private readonly toleranceSeconds: number;

  constructor(
    owner: string,
    private readonly issuer: string,
    options: IntrospectionEndpointOptions,
    private readonly onCall: () => void,
    /** The validator takes DPoP-bound tokens: an answer with `cnf` or `token_type: "DPoP"` is accepted (the binding is checked per request). */
    private readonly senderConstrained = false,
  ) {
    this.logger = new Logger(owner);
    if (typeof options.clientId !== 'string' || options.clientId === '') throw new Error(`${owner}: clientId must be a non-empty string.`);
    if (typeof options.clientSecret !== 'string' || options.clientSecret === '') {
      throw new Error(`${owner}: clientSecret must be a non-empty string (the API authenticates to the introspection endpoint).`);
    }
    this.clientId = options.clientId;
    this.clientSecret = options.clientSecret;
    const method = options.clientAuthentication ?? 'client_secret_basic';
    if (method !== 'client_secret_basic' && method !== 'client_secret_post') {
      throw new Error(`${owner}: clientAuthentication must be 'client_secret_basic' or 'client_secret_post'.`);
    }
    // RFC 6749 §2.3.1: the id and secret are form-encoded before Basic encoding.
    this.basicAuthorization =
      method === 'client_secret_basic'
        ? `Basic ${Buffer.from(`${formEncode(this.clientId)}:${formEncode(this.clientSecret)}`).toString('base64')}`
        : undefined;
    this.endpoint = options.endpoint === undefined ? undefined : absoluteUrl(owner, 'endpoint', options.endpoint);
    this.discoveryUrl =
      options.openIdConnectUrl === undefined
        ? `${absoluteUrl(owner, 'issuer', issuer).replace(/\/+$/, '')}/.well-known/openid-configuration`
        : absoluteUrl(owner, 'openIdConnectUrl', options.openIdConnectUrl);
    if (options.audience !== undefined) {
      const list = typeof options.audience === 'string' ? [options.audience] : options.audience;
      if (!Array.isArray(list) || list.length === 0 || !list.every((item) => typeof item === 'string' && item !== '')) {
        throw new Error(`${owner}: audience must be a non-empty string or a list of them.`);
      }
      this.audiences = list;
    }
    this.readScopes = scopesReader(options.scopes ?? 'scope', owner);
    const inactiveSeconds = nonNegative(owner, 'inactiveCacheSeconds', options.inactiveCacheSeconds, 5);
    this.inactive = inactiveSeconds > 0 ? new VerifiedTokenCache({ max: 10000, maxAgeSeconds: inactiveSeconds }) : undefined;
    this.timeoutMs = nonNegative(owner, 'timeoutMs', options.timeoutMs, 5000) || 5000;
    this.retryAfterSeconds = Math.max(1, Math.ceil(nonNegative(owner, 'retryAfterSeconds', options.retryAfterSeconds, 5)));
    this.toleranceSeconds = nonNegative(owner, 'clockTolerance', options.clockTolerance, 5);
    if (options.cache !== undefined && options.cache !== false) {
      const { maxAgeSeconds } = options.cache;
      if (maxAgeSeconds !== undefined && !(maxAgeSeconds > 0)) throw new Error(`${owner}: cache.maxAgeSeconds must be positive (or cache: false).`);
    }
  }

  /** The scopes an active answer grants (its `scope`, or as the `scopes` option says). */
  scopesOf(claims: IntrospectionClaims): readonly string[] {
    return this.readScopes(claims) ?? [];
  }

  /** Finds the endpoint through discovery, if it was not configured; failures are logged, never thrown. */
  async prepare(): Promise<void> {
    if (this.endpoint === undefined) await this.discover().catch(() => undefined);
  }

  /** The verified answer about an active token; concurrent calls for one token share one request. */
  introspect(token: string): Promise<IntrospectionClaims> {
    const refused = this.inactive?.get(token);
    if (refused !== undefined) return Promise.reject(new InvalidTokenError(refused, 'refused by an earlier introspection answer'));
    let flight = this.inflight.get(token);
    if (flight === undefined) {
      flight = this.ask(token).finally(() => this.inflight.delete(token));
      this.inflight.set(token, flight);
    }
    return flight;
  }

  private async ask(token: string): Promise<IntrospectionClaims> {
    if (this.misconfiguration !== undefined) throw new InvalidTokenError('issuer_mismatch', this.misconfiguration);
    const endpoint = this.endpoint ?? (await this.discover());
    const body = new URLSearchParams({ token, token_type_hint: 'access_token' });
    const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' };
    if (this.basicAuthorization !== undefined) headers.authorization = this.basicAuthorization;
    else {
      body.set('client_id', this.clientId);
      body.set('client_secret', this.clientSecret);
    }
    let answer: Record<string, unknown>;
    try {
      this.onCall();
      answer = await this.postForJson(endpoint, headers, body.toString());
    } catch (error) {
      if (error instanceof InvalidTokenError) {
        this.inactive?.set(token, error.reason, Number.POSITIVE_INFINITY);
        throw error;
      }
      this.logger.error(`The introspection endpoint did not answer: ${error instanceof Error ? error.message : String(error)}`);
      throw new IntrospectionUnavailableError(this.retryAfterSeconds);
    }
    try {
      return this.checked(answer);
    } catch (error) {
      if (error instanceof InvalidTokenError) this.inactive?.set(token, error.reason, Number.POSITIVE_INFINITY);
      throw error;
    }
  }

  private checked(answer: Record<string, unknown>): IntrospectionClaims {
    if (answer.active !== true) throw new InvalidTokenError('inactive', 'the introspection endpoint says the token is not active');
    const { iss, exp, nbf, aud, token_type: tokenType } = answer;
    if (iss !== undefined && iss !== this.issuer) throw new InvalidTokenError('issuer_untrusted', 'the introspection answer names another issuer');
    const types = this.senderConstrained ? SENDER_CONSTRAINED_TOKEN_TYPES : BEARER_TOKEN_TYPES;
    if (tokenType !== undefined && !(typeof tokenType === 'string' && types.includes(tokenType.toLowerCase()))) {
      throw new InvalidTokenError('typ_mismatch', 'the token is not a bearer access token');
    }
    if (answer.cnf !== undefined && !this.senderConstrained) throw new InvalidTokenError('typ_mismatch', 'the token is sender-constrained (cnf), not a bearer token');
    const now = Date.now() / 1000;
    if (exp !== undefined && !(typeof exp === 'number' && Number.isFinite(exp))) throw new InvalidTokenError('malformed', 'exp is not a number');
    if (typeof exp === 'number' && now - this.toleranceSeconds >= exp) throw new InvalidTokenError('expired', 'expired');
    if (nbf !== undefined && !(typeof nbf === 'number' && nbf <= now + this.toleranceSeconds)) throw new InvalidTokenError('not_yet_valid', 'not yet valid');
    if (this.audiences) {
      const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
      if (!audiences.some((value) => this.audiences!.includes(value))) throw new InvalidTokenError('audience_mismatch', 'unexpected audience');
    }
    const claims = (iss === undefined ? { ...answer, iss: this.issuer } : answer) as IntrospectionClaims;
    return Object.freeze(claims);
  }

  /** The endpoint named by the discovery document, fetched once (one request shared by concurrent callers). */
  private discover(): Promise<string> {
    this.discovery ??= this.getJson(this.discoveryUrl)
      .then((document) => {
        if (document.issuer !== this.issuer) {
          this.misconfiguration =
            `the discovery document ${this.discoveryUrl} names the issuer ${JSON.stringify(document.issuer)}, ` +
            `not the configured ${JSON.stringify(this.issuer)}`;
          this.logger.error(`Configuration error: ${this.misconfiguration}. Its tokens are refused (issuer_mismatch).`);
          throw new InvalidTokenError('issuer_mismatch', this.misconfiguration);
        }
        if (typeof document.introspection_endpoint !== 'string') throw new Error(`the discovery document ${this.discoveryUrl} has no introspection_endpoint`);
        return (this.endpoint = new URL(document.introspection_endpoint).href);
      })
      .catch((error: unknown) => {
        this.discovery = undefined;
        if (error instanceof InvalidTokenError) throw error;
        this.logger.error(`Could not find the introspection endpoint: ${error instanceof Error ? error.message : String(error)}`);
        throw new IntrospectionUnavailableError(this.retryAfterSeconds);
      });
    return this.discovery;
  }

  private async getJson(url: string): Promise<Record<string, unknown>> {
    const response = await fetchOrExplain(`GET ${url}`, url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(this.timeoutMs) });
    return jsonObject(`GET ${url}`, response);
  }

  private async postForJson(url: string, headers: Record<string, string>, body: string): Promise<Record<string, unknown>> {
    const response = await fetchOrExplain(`POST ${url}`, url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.timeoutMs) });
    if (response.status === 400) {
      // Some providers (oidc-provider) answer 400 unsupported_token_type for a token they cannot introspect (a JWT):
      // the provider does not know it as an active token.
      const error = await response.json().then((value) => (value as { error?: unknown } | null)?.error, () => undefined);
      if (error === 'unsupported_token_type') throw new InvalidTokenError('inactive', 'the introspection endpoint does not take this kind of token');
      throw new Error(`POST ${url} answered 400 ${typeof error === 'string' ? error : ''}`.trim());
    }
    return jsonObject(`POST ${url}`, response);
  }
}

/** fetch, whose own error says only "fetch failed": rethrown with the request and the cause (ECONNREFUSED, a timeout...). */
async function fetchOrExplain(what: string, url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    const cause = (error as { cause?: unknown } | null)?.cause ?? error;
    const message = (cause as { message?: unknown } | null)?.message;
    throw new Error(`${what} failed: ${typeof message === 'string' ? message : String(cause)}`);
  }
}

async function jsonObject(what: string, response: Response): Promise<Record<string, unknown>> {
  const text = await response.text();
  if (!response.ok) throw new Error(`${what} answered ${response.status}`);
  if (text.length > MAX_ANSWER_BYTES) throw new Error(`${what} answered more than ${MAX_ANSWER_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${what} did not answer JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${what} did not answer a JSON object`);
  return value as Record<string, unknown>;
}

function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

function absoluteUrl(owner: string, name: string, value: string): string {
  try {
    return new URL(value).href;
  } catch {
    throw new Error(`${owner}: ${name} must be an absolute URL.`);
  }
}

function nonNegative(owner: string, name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) throw new Error(`${owner}: ${name} must be a number >= 0.`);
  return value;
}
