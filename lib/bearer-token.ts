import type { GrantedScopesReader, JwtValidatorOptions } from './jwt/jwt-validator-options.interface.js';
import { HTTPAuthorizationCredentials } from './models.js';
import { SecurityHttpException } from './security.exception.js';

/** The `WWW-Authenticate` challenge of a refused token (RFC 6750 §3.1). */
export const INVALID_TOKEN_CHALLENGE = 'Bearer error="invalid_token"';

/**
 * The token in what a scheme extracted: a bare token (OAuth2PasswordBearer...), `{ credentials }` (HTTPBearer),
 * or the raw `Bearer <token>` header (OpenIdConnect, OAuth2).
 */
export function bearerToken(credentials: unknown): string {
  if (credentials instanceof HTTPAuthorizationCredentials) credentials = credentials.credentials;
  if (typeof credentials !== 'string' || credentials === '') {
    throw new SecurityHttpException(401, 'Could not validate credentials', { 'WWW-Authenticate': INVALID_TOKEN_CHALLENGE }, 'malformed');
  }
  const space = credentials.indexOf(' ');
  if (space >= 0 && credentials.slice(0, space).toLowerCase() === 'bearer') return credentials.slice(space + 1).trim();
  return credentials;
}

/** Reads the granted scopes from `scope` (space-separated), `scp` (array or string), or with a function. */
export function scopesReader(option: JwtValidatorOptions['scopes'], owner = 'JwtValidator'): GrantedScopesReader {
  if (typeof option === 'function') return option;
  if (option === 'scope') return (claims) => splitScopes(claims.scope);
  if (option === 'scp') return (claims) => splitScopes(claims.scp);
  if (option === undefined) return (claims) => splitScopes(claims.scope) ?? splitScopes(claims.scp);
  throw new Error(`${owner}: scopes must be 'scope', 'scp' or a function (claims) => string[].`);
}

function splitScopes(value: unknown): readonly string[] | undefined {
  if (typeof value === 'string') return value.split(' ').filter((scope) => scope !== '');
  if (Array.isArray(value)) return value.filter((scope): scope is string => typeof scope === 'string');
  return undefined;
}

