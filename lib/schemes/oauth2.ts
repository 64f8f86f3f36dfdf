import { authorizationCredentials } from '../core/header-values.js';
import type { ResponseHeaders } from '../core/security.exception.js';
import {
  definedOnly,
  rawAuthorization,
  SecurityScheme,
  type OAuthFlow,
  type OAuthFlows,
  type SecurityRequest,
  type SecuritySchemeObject,
  type SecuritySchemeOptions,
} from './security-scheme.js';

export interface OAuth2Options extends SecuritySchemeOptions {
  flows?: OAuthFlows;
}

/**
 * Generic OAuth2. Like FastAPI's, it returns the raw `Authorization` header value; subclasses
 * such as `OAuth2PasswordBearer` extract the bearer token.
 */
export class OAuth2 extends SecurityScheme<string> {
  readonly flows: OAuthFlows;

  constructor(options: OAuth2Options = {}) {
    super(options);
    this.flows = options.flows ?? {};
  }

  extract(request: SecurityRequest): string | null {
    return rawAuthorization(request);
  }

  makeAuthenticateHeaders(): ResponseHeaders {
    return { 'WWW-Authenticate': this.dpopChallenge ?? 'Bearer' };
  }

  protected override carriesBearerTokens(): boolean {
    return true;
  }

  toOpenAPI(): SecuritySchemeObject {
    const flows: Record<string, OAuthFlow> = {};
    for (const [kind, flow] of Object.entries(this.flows) as [string, OAuthFlow | undefined][]) {
      if (flow) flows[kind] = definedOnly({ ...flow, scopes: flow.scopes ?? {} });
    }
    return definedOnly({ type: 'oauth2', flows: flows as OAuthFlows, description: this.description });
  }

  override get declaredScopes(): readonly string[] | undefined {
    const flows = Object.values(this.flows) as (OAuthFlow | undefined)[];
    if (!flows.some((flow) => flow?.scopes)) return undefined;
    return flows.flatMap((flow) => Object.keys(flow?.scopes ?? {}));
  }

  /**
   * `Authorization: Bearer <token>` -> the token, or null when absent, empty or another scheme. When the validator
   * takes DPoP-bound tokens (see `acceptDPoP`), `DPoP <token>` is handed over whole, with its auth-scheme.
   */
  protected extractBearerToken(request: SecurityRequest): string | null {
    const header = request.headers.authorization;
    const token = authorizationCredentials(header, 'bearer');
    if (token) return token;
    return this.dpopChallenge !== undefined && authorizationCredentials(header, 'dpop') ? (header as string) : null;
  }
}

export interface OAuth2PasswordBearerOptions extends SecuritySchemeOptions {
  /** Where the client posts the password form, e.g. `token`. Emitted exactly as given. */
  tokenUrl: string;
  refreshUrl?: string;
  /** Scope name -> description. When given, routes may only require these scopes. */
  scopes?: Record<string, string>;
}

/** OAuth2 password flow; yields the bearer token. An empty token is a 401, unlike FastAPI. */
export class OAuth2PasswordBearer extends OAuth2 {
  constructor(options: OAuth2PasswordBearerOptions) {
    requireString(new.target.name, options, 'tokenUrl');
    super({
      ...options,
      flows: { password: definedOnly({ tokenUrl: options.tokenUrl, refreshUrl: options.refreshUrl, scopes: options.scopes }) },
    });
  }

  override extract(request: SecurityRequest): string | null {
    return this.extractBearerToken(request);
  }
}

export interface OAuth2AuthorizationCodeBearerOptions extends SecuritySchemeOptions {
  authorizationUrl: string;
  tokenUrl: string;
  refreshUrl?: string;
  /** Scope name -> description. When given, routes may only require these scopes. */
  scopes?: Record<string, string>;
}

/** OAuth2 authorization-code flow; yields the bearer token. */
export class OAuth2AuthorizationCodeBearer extends OAuth2 {
  constructor(options: OAuth2AuthorizationCodeBearerOptions) {
    requireString(new.target.name, options, 'authorizationUrl');
    requireString(new.target.name, options, 'tokenUrl');
    super({
      ...options,
      flows: {
        authorizationCode: definedOnly({
          authorizationUrl: options.authorizationUrl,
          tokenUrl: options.tokenUrl,
          refreshUrl: options.refreshUrl,
          scopes: options.scopes,
        }),
      },
    });
  }

  override extract(request: SecurityRequest): string | null {
    return this.extractBearerToken(request);
  }
}

export interface OAuth2ClientCredentialsBearerOptions extends SecuritySchemeOptions {
  /** Where a client exchanges its client id and secret for a token (the identity provider's token endpoint). */
  tokenUrl: string;
  refreshUrl?: string;
  /** Scope name -> description. When given, routes may only require these scopes. */
  scopes?: Record<string, string>;
}

/**
 * OAuth2 client-credentials flow (RFC 6749 §4.4), for machine-to-machine tokens; yields the bearer
 * token. Swagger UI offers the client-credentials login for it.
 */
export class OAuth2ClientCredentialsBearer extends OAuth2 {
  constructor(options: OAuth2ClientCredentialsBearerOptions) {
    requireString(new.target.name, options, 'tokenUrl');
    super({
      ...options,
      flows: {
        clientCredentials: definedOnly({ tokenUrl: options.tokenUrl, refreshUrl: options.refreshUrl, scopes: options.scopes }),
      },
    });
  }

  override extract(request: SecurityRequest): string | null {
    return this.extractBearerToken(request);
  }
}

function requireString(className: string, options: object | undefined, key: string): void {
  const value = (options as Record<string, unknown> | undefined)?.[key];
  if (typeof value !== 'string' || value.length === 0) {
    throw new Error(`${className}: "${key}" must be a non-empty string.`);
  }
}
