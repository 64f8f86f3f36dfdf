import type { HttpException } from '@nestjs/common';
import { isScopeToken } from '../core/header-values.js';
import { SecurityHttpException, type ResponseHeaders } from '../core/security.exception.js';
import { HTTPAuthorizationCredentials } from './models.js';

/** The parts of an Express or Fastify request that the schemes read. */
export interface SecurityRequest {
  headers: Record<string, string | string[] | undefined>;
  /** Node's headers with repeated ones kept apart (an Express request is a Node request). */
  headersDistinct?: Record<string, string[] | undefined>;
  /** Fastify's Node request. */
  raw?: { headersDistinct?: Record<string, string[] | undefined> };
  query?: unknown;
}

/** An OpenAPI 3 Security Scheme Object, as written to `components.securitySchemes`. */
export interface SecuritySchemeObject {
  type: 'apiKey' | 'http' | 'oauth2' | 'openIdConnect';
  description?: string;
  name?: string;
  in?: 'header' | 'query' | 'cookie';
  scheme?: string;
  bearerFormat?: string;
  flows?: OAuthFlows;
  openIdConnectUrl?: string;
}

export interface OAuthFlow {
  authorizationUrl?: string;
  tokenUrl?: string;
  refreshUrl?: string;
  scopes?: Record<string, string>;
}

export interface OAuthFlows {
  implicit?: OAuthFlow & { authorizationUrl: string };
  password?: OAuthFlow & { tokenUrl: string };
  clientCredentials?: OAuthFlow & { tokenUrl: string };
  authorizationCode?: OAuthFlow & { authorizationUrl: string; tokenUrl: string };
}

/** Options every scheme takes, like FastAPI's `scheme_name`, `description` and `auto_error`. */
export interface SecuritySchemeOptions {
  /** Key in `components.securitySchemes` and the name `@Security('name')` refers to. Default: the class name. */
  schemeName?: string;
  description?: string;
  /** When false, missing credentials are not an error: the principal is `null` and the handler runs. Default true. */
  autoError?: boolean;
}

/**
 * The `scopes` option of the schemes that have no OAuth2 scope map (API keys, HTTP, OpenID Connect): the
 * scope names routes may require of the scheme. Declared, a route requiring any other scope is a start-up
 * error naming the route, the scope and the known ones; not declared, any scope may be required.
 */
export interface KnownScopesOptions {
  /** Every scope a route may require of this scheme, e.g. `['items:read', 'items:write']`. Default: any. */
  scopes?: readonly string[];
}

/**
 * @internal What a token validator with a `dpop` option gives its scheme at start-up (`acceptDPoP`): the
 * challenges of RFC 9449 §7.1 (lib/tokens/dpop/dpop-challenges.ts).
 */
export interface DPoPSchemeChallenges {
  /** For a request without credentials: `DPoP algs="..."`, or `Bearer, DPoP algs="..."` when Bearer is allowed. */
  readonly missing: string;
  /** `allowed` mode: Bearer requests are taken too. */
  readonly bearerAllowed: boolean;
  /**
   * The challenge carrying `parameters` (quoted auth-params: `error="insufficient_scope", scope="read"`) on `DPoP`
   * (with `algs`) for a DPoP request (`dpop`), or on `Bearer` for a Bearer one, the other scheme offered too.
   */
  challenge(parameters: string | undefined, dpop: boolean): string;
}

/** How one refusal challenge is sent by a scheme that takes DPoP-bound tokens: to a request that used `via`. */
export interface RefusalChallengeForm {
  readonly challenge: string;
  /** The auth-scheme of the requests that get it, in `allowed` mode; undefined when every request gets it. */
  readonly via?: 'Bearer' | 'DPoP';
}

/**
 * A security scheme: it extracts credentials from a request, builds the 401 challenge when they are
 * missing, and describes itself for OpenAPI. Subclass a concrete scheme to change any of the three.
 */
export abstract class SecurityScheme<TCredentials = unknown> {
  readonly schemeName: string;
  readonly description?: string;
  readonly autoError: boolean;
  /** The scopes declared with `declareScopes` (the `scopes` option of schemes without a scope map). */
  private knownScopes: readonly string[] | undefined;
  /**
   * The 401 challenge of a scheme whose validator takes DPoP-bound tokens (RFC 9449), set at start-up by
   * `acceptDPoP`; such a scheme also extracts `Authorization: DPoP <token>`. Undefined otherwise.
   */
  protected dpopChallenge: string | undefined;
  /** The DPoP challenges given with `acceptDPoP`; undefined for a scheme whose validator has no `dpop` option. */
  private dpopChallenges: DPoPSchemeChallenges | undefined;

  protected constructor(options: SecuritySchemeOptions = {}) {
    const schemeName = options.schemeName ?? new.target.name;
    if (typeof schemeName !== 'string' || schemeName.length === 0) {
      throw new Error(`${new.target.name}: schemeName must be a non-empty string.`);
    }
    checkSchemeName(`${new.target.name}`, schemeName);
    this.schemeName = schemeName;
    this.description = options.description;
    this.autoError = options.autoError ?? true;
  }

  /**
   * Reads the credentials from the request. Returns `null` when they are absent (the guard then
   * applies `autoError`); throws when they are present but malformed.
   */
  abstract extract(request: SecurityRequest): TCredentials | null;

  /** The OpenAPI Security Scheme Object for `components.securitySchemes`. */
  abstract toOpenAPI(): SecuritySchemeObject;

  /** The headers sent with a 401, FastAPI's `make_authenticate_headers`. */
  abstract makeAuthenticateHeaders(): ResponseHeaders;

  /** The error for missing or rejected credentials, FastAPI's `make_not_authenticated_error`. */
  makeNotAuthenticatedError(): HttpException {
    return new SecurityHttpException(401, 'Not authenticated', this.makeAuthenticateHeaders());
  }

  /**
   * @internal Called by SecuritySchemesModule at start-up when this scheme's validator has a `dpop` option: the
   * scheme then also extracts `Authorization: DPoP <token>` (RFC 9449 §7.1) and answers a request without
   * credentials with `challenges.missing`. Only the bearer-token schemes can (`HTTPBearer`, `OAuth2` and its subclasses,
   * `OpenIdConnect`); any other is a start-up error. Its refusals after the token was accepted then name DPoP too
   * (`refusalChallenge`).
   */
  acceptDPoP(challenges: DPoPSchemeChallenges): void {
    const owner = `SecuritySchemesModule: scheme "${this.schemeName}" (${this.constructor.name})`;
    if (!this.carriesBearerTokens()) {
      throw new Error(`${owner} cannot carry DPoP-bound tokens (Authorization: DPoP): its validator's dpop option needs HTTPBearer, an OAuth2 scheme or OpenIdConnect.`);
    }
    const challenge = challenges.missing;
    if (this.dpopChallenge !== undefined && this.dpopChallenge !== challenge) {
      throw new Error(`${owner} is validated with two different DPoP settings (${this.dpopChallenge} and ${challenge}); use one scheme for each.`);
    }
    this.dpopChallenge = challenge;
    this.dpopChallenges = challenges;
  }

  /**
   * @internal The `WWW-Authenticate` value of a refusal once the credentials were accepted (a missing scope or a
   * failed claim check, RFC 6750's `insufficient_scope`; a step-up requirement, RFC 9470), given in the `Bearer`
   * form the guard compiled (`Bearer error="insufficient_scope", scope="read"`). Unchanged unless this scheme takes
   * DPoP-bound tokens; then the same parameters on DPoP's challenges (RFC 9449 §7.1): on `DPoP`, with `algs`, for a
   * request that sent `Authorization: DPoP` (every request in `required` mode), on `Bearer` otherwise, the other
   * scheme offered in `allowed` mode. Called on the refusal path only; read when the request is refused, so it
   * holds for validators resolved at init as for those given as instances.
   */
  refusalChallenge(challenge: string, credentials: unknown): string {
    const dpop = this.dpopChallenges;
    if (dpop === undefined) return challenge;
    const parameters = bearerParameters(challenge);
    if (parameters === undefined) return challenge;
    return dpop.challenge(parameters, !dpop.bearerAllowed || presentedWithDPoP(credentials));
  }

  /**
   * @internal Every value `refusalChallenge` may send for `challenge`, for the OpenAPI document: `challenge` itself
   * for a scheme without DPoP; DPoP's form (and in `allowed` mode the Bearer request's form first) otherwise.
   */
  refusalChallenges(challenge: string): readonly RefusalChallengeForm[] {
    const dpop = this.dpopChallenges;
    const parameters = dpop === undefined ? undefined : bearerParameters(challenge);
    if (dpop === undefined || parameters === undefined) return [{ challenge }];
    if (!dpop.bearerAllowed) return [{ challenge: dpop.challenge(parameters, true) }];
    return [
      { challenge: dpop.challenge(parameters, false), via: 'Bearer' },
      { challenge: dpop.challenge(parameters, true), via: 'DPoP' },
    ];
  }

  /** True for a scheme that carries bearer access tokens in `Authorization`, and so may carry DPoP-bound ones. */
  protected carriesBearerTokens(): boolean {
    return false;
  }

  /**
   * Scope names this scheme declares (an OAuth2 scope map, or the `scopes` option of the other schemes), or
   * `undefined` when it declares none: then routes may require any scope of it.
   */
  get declaredScopes(): readonly string[] | undefined {
    return this.knownScopes;
  }

  /**
   * Records the `scopes` option of a scheme without a scope map (see `KnownScopesOptions`), checked now: a
   * list of valid OAuth2 scope tokens. `undefined` declares nothing.
   */
  protected declareScopes(scopes: unknown): void {
    if (scopes === undefined) return;
    if (!Array.isArray(scopes) || !scopes.every((scope) => typeof scope === 'string' && isScopeToken(scope))) {
      throw new Error(
        `${this.constructor.name}: scopes must be a list of scope names (printable ASCII without spaces, quotes or ` +
          `backslashes), got ${JSON.stringify(scopes)}.`,
      );
    }
    this.knownScopes = Object.freeze([...new Set(scopes as string[])]);
  }
}

/** The auth-params of a `Bearer ...` challenge (`error="insufficient_scope", scope="read"`), or undefined for another. */
function bearerParameters(challenge: string): string | undefined {
  return challenge.startsWith('Bearer ') ? challenge.slice('Bearer '.length) : undefined;
}

/**
 * The credentials came with `Authorization: DPoP`: what `HTTPBearer` extracts (`{ scheme, credentials }`), or the raw
 * header the OAuth2 schemes and `OpenIdConnect` hand over for a DPoP request. Read as the token validators read it
 * (lib/tokens/dpop/presented-token.ts): the first word, before a space or a tab, case-insensitively.
 */
function presentedWithDPoP(credentials: unknown): boolean {
  if (credentials instanceof HTTPAuthorizationCredentials) return credentials.scheme.toLowerCase() === 'dpop';
  return typeof credentials === 'string' && DPOP_WORD.test(credentials);
}

const DPOP_WORD = /^dpop[ \t]/i;

/** The key pattern of OpenAPI's `components` maps (OpenAPI 3.0/3.1, Components Object). */
const COMPONENT_KEY = /^[a-zA-Z0-9.\-_]+$/;

/**
 * Throws unless `schemeName` can be a key of `components.securitySchemes` as written: OpenAPI's pattern, and
 * not a member of `Object.prototype` (`__proto__` vanishes from a document built as a plain object, while
 * operations still reference it; `constructor` and the like would be found on any document object).
 */
export function checkSchemeName(owner: string, schemeName: string): void {
  if (!COMPONENT_KEY.test(schemeName)) {
    throw new Error(
      `${owner}: schemeName ${JSON.stringify(schemeName)} cannot be a key of components.securitySchemes: ` +
        'use only letters, digits, ".", "-" and "_" (OpenAPI\'s ^[a-zA-Z0-9.\\-_]+$).',
    );
  }
  if (Object.prototype.hasOwnProperty.call(Object.prototype, schemeName)) {
    throw new Error(
      `${owner}: schemeName "${schemeName}" is a property of every JavaScript object (Object.prototype); ` +
        'as a key of components.securitySchemes it would vanish or be confused with it. Choose another name.',
    );
  }
}

/** Drops keys whose value is undefined, so the OpenAPI output only has what was given. */
export function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** The raw `Authorization` header value, or null when absent or empty (OAuth2 and OpenIdConnect return it as is). */
export function rawAuthorization(request: SecurityRequest): string | null {
  const header = request.headers.authorization;
  return typeof header === 'string' && header.length > 0 ? header : null;
}

/**
 * The first value of a request header (name in lower case), as Starlette's `headers.get()` gives it.
 * Node joins a repeated header into one `"a, b"` string; the separate values are then read from
 * `headersDistinct`, which is only built when a value has a comma.
 */
export function firstHeaderValue(request: SecurityRequest, name: string): string | undefined {
  const value = request.headers[name];
  if (typeof value !== 'string') return Array.isArray(value) ? value[0] : value;
  if (!value.includes(',')) return value;
  const distinct = (request.headersDistinct ?? request.raw?.headersDistinct)?.[name];
  return distinct !== undefined && distinct.length > 0 ? distinct[0] : value;
}

/** Splits `Authorization: <scheme> <credentials>` at the first space; credentials are trimmed. */
export function parseAuthorization(header: string | string[] | undefined): [scheme: string, credentials: string] | null {
  if (typeof header !== 'string' || header.length === 0) return null;
  const space = header.indexOf(' ');
  if (space < 0) return [header, ''];
  return [header.slice(0, space), header.slice(space + 1).trim()];
}
