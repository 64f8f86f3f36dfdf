import { splitScope } from './scope-field.js';

/** The fields of an OAuth2 refresh-token form, as the application passes them to the constructor. */
export interface OAuth2RefreshTokenRequestFormInit {
  refreshToken: string;
  /** Several scopes in one string, separated by whitespace. Default `''`: the scopes of the original grant. */
  scope?: string;
  clientId?: string | null;
  clientSecret?: string | null;
}

/**
 * The OAuth2 refresh-token grant's form (RFC 6749 section 6): `grant_type=refresh_token`, the
 * `refresh_token`, and optionally a narrower `scope`. `@OAuth2TokenForm()` yields it next to the
 * password form, so that one token endpoint takes both grants.
 */
export class OAuth2RefreshTokenRequestForm {
  readonly grantType = 'refresh_token' as const;
  refreshToken: string;
  /** The `scope` field split on whitespace; empty when the client asks for the scopes it was granted. */
  scopes: string[];
  clientId?: string | null;
  clientSecret?: string | null;

  constructor(fields: OAuth2RefreshTokenRequestFormInit) {
    this.refreshToken = fields.refreshToken;
    this.scopes = splitScope(fields.scope ?? '');
    this.clientId = fields.clientId ?? null;
    this.clientSecret = fields.clientSecret ?? null;
  }
}
