import type { GrantedScopesReader, JwtValidatorOptions } from './jwt/jwt-validator-options.interface.js';
import { HTTPAuthorizationCredentials } from '../schemes/models.js';
import { SecurityHttpException } from '../core/security.exception.js';

/** The `WWW-Authenticate` challenge of a refused token (RFC 6750 §3.1). */
export const INVALID_TOKEN_CHALLENGE = 'Bearer error="invalid_token"';

/**
 * The token in what a scheme extracted: a bare token (OAuth2PasswordBearer...), `{ credentials }` (HTTPBearer),
 * or the raw `Bearer <token>` header (OpenIdConnect, OAuth2). Refused here, before any key look-up or
 * introspection request, so that they never leave the process: another scheme's credentials (`Basic ...`: 401
 * with the bare `Bearer` challenge, RFC 6750 §3.1), and a token with spaces in it (401 `invalid_token`).
 */
export function bearerToken(credentials: unknown): string {
  if (credentials instanceof HTTPAuthorizationCredentials) {
    // `DPoP <token>` (a scheme another validator turned DPoP on for): never taken as a bearer token without its proof.
    if (credentials.scheme.toLowerCase() === 'dpop') throw notBearer();
    credentials = credentials.credentials;
  }
  if (typeof credentials !== 'string' || credentials === '') throw malformedToken();
  const space = whitespaceIn(credentials);
  if (space < 0) return credentials;
  if (credentials.slice(0, space).toLowerCase() !== 'bearer') throw notBearer();
  const token = credentials.slice(space + 1).trim();
  if (token === '' || whitespaceIn(token) >= 0) throw malformedToken();
  return token;
}

function notBearer(): SecurityHttpException {
  return new SecurityHttpException(401, 'Not authenticated', { 'WWW-Authenticate': 'Bearer' }, 'credentials_missing', 'not a Bearer Authorization header');
}

function malformedToken(): SecurityHttpException {
  return new SecurityHttpException(401, 'Could not validate credentials', { 'WWW-Authenticate': INVALID_TOKEN_CHALLENGE }, 'malformed');
}

/** The first space or tab (what separates an auth-scheme from its credentials), or -1. */
function whitespaceIn(value: string): number {
  const space = value.indexOf(' ');
  const tab = value.indexOf('\t');
  return tab < 0 || (space >= 0 && space < tab) ? space : tab;
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

