import { splitScope } from './scope-field.js';

/** The fields of an OAuth2 password form, as the application passes them to the constructors. */
export interface OAuth2PasswordRequestFormInit {
  grantType?: string | null;
  username: string;
  password: string;
  /** Several scopes in one string, separated by whitespace. Default `''`. */
  scope?: string;
  clientId?: string | null;
  clientSecret?: string | null;
}

/**
 * The OAuth2 password flow's form (RFC 6749 section 4.3.2), as FastAPI's `OAuth2PasswordRequestForm`.
 * `@OAuth2PasswordForm()` reads it from an `application/x-www-form-urlencoded` or
 * `multipart/form-data` body. `grant_type` may be left out, but when sent it must be `password`.
 */
export class OAuth2PasswordRequestForm {
  /** `password`, or `null` when the client did not send it. */
  grantType?: string | null;
  username: string;
  password: string;
  /** The `scope` field split on whitespace: `'items:read  users:read'` -> `['items:read', 'users:read']`. */
  scopes: string[];
  /** The spec recommends sending client credentials with HTTP Basic instead; they may come in the form. */
  clientId?: string | null;
  clientSecret?: string | null;

  constructor(fields: OAuth2PasswordRequestFormInit) {
    this.grantType = fields.grantType ?? null;
    this.username = fields.username;
    this.password = fields.password;
    this.scopes = splitScope(fields.scope ?? '');
    this.clientId = fields.clientId ?? null;
    this.clientSecret = fields.clientSecret ?? null;
  }
}

/** The same form, but `grant_type` is required (and must be `password`), as the spec says. */
export class OAuth2PasswordRequestFormStrict extends OAuth2PasswordRequestForm {
  declare grantType: string;

  constructor(fields: OAuth2PasswordRequestFormInit & { grantType: string }) {
    super(fields);
  }
}
