import type { ResponseHeaders } from '../core/security.exception.js';
import {
  definedOnly,
  rawAuthorization,
  SecurityScheme,
  type KnownScopesOptions,
  type SecurityRequest,
  type SecuritySchemeObject,
  type SecuritySchemeOptions,
} from './security-scheme.js';

export interface OpenIdConnectOptions extends SecuritySchemeOptions, KnownScopesOptions {
  /** The discovery document URL, emitted exactly as given. */
  openIdConnectUrl: string;
}

/** OpenID Connect. Like FastAPI's, it returns the raw `Authorization` header value. */
export class OpenIdConnect extends SecurityScheme<string> {
  readonly openIdConnectUrl: string;

  constructor(options: OpenIdConnectOptions) {
    super(options);
    if (typeof options?.openIdConnectUrl !== 'string' || options.openIdConnectUrl.length === 0) {
      throw new Error(`${new.target.name}: "openIdConnectUrl" must be a non-empty string.`);
    }
    this.openIdConnectUrl = options.openIdConnectUrl;
    this.declareScopes(options.scopes);
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
    return definedOnly({ type: 'openIdConnect', openIdConnectUrl: this.openIdConnectUrl, description: this.description });
  }
}
