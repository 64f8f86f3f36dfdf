import { Injectable } from '@nestjs/common';
import type { SecurityScopes, SecurityValidator } from 'nestjs-security-schemes';

/**
 * Test bearer tokens carry their subject and granted scopes in clear: `alice;items:read,items:write`.
 * `token('alice')` grants no scopes; the subject `rejected` is refused by `TokenValidator`.
 */
export function token(sub: string, scopes: readonly string[] = []): string {
  return `${sub};${scopes.join(',')}`;
}

/** `Authorization: Bearer <token>` as a header object. */
export function bearer(sub: string, scopes: readonly string[] = []): Record<string, string> {
  return { Authorization: `Bearer ${token(sub, scopes)}` };
}

export interface TokenPrincipal {
  sub: string;
  scopes: string[];
  /** The scopes the route required of this scheme, as the validator received them. */
  required: string[];
}

/**
 * Reads test tokens (a raw token, or `{ credentials }` from HTTPBearer). The principal's `required`
 * shows the `SecurityScopes` the validator was given.
 */
@Injectable()
export class TokenValidator implements SecurityValidator<string | { credentials: string }> {
  validate(credentials: string | { credentials: string }, securityScopes: SecurityScopes): TokenPrincipal | null {
    const raw = typeof credentials === 'string' ? credentials : credentials.credentials;
    const [sub, granted = ''] = raw.split(';');
    if (!sub || sub === 'rejected') return null;
    return { sub, scopes: granted ? granted.split(',') : [], required: [...securityScopes.scopes] };
  }
}
