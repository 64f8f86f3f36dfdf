import { INVALID_TOKEN_CHALLENGE } from './bearer-token.js';
import { IntrospectionUnavailableError } from './introspection/introspection-unavailable.error.js';
import { InvalidTokenError } from './jwt/jws.js';
import { KeySetUnavailableError } from './jwt/jwks.js';
import type { ValidatorRefusal } from '../core/security-options.interface.js';
import { SecurityHttpException } from '../core/security.exception.js';

/**
 * The answer to a refused token: 401 `invalid_token` (RFC 6750, nothing more in the body), or 503 with
 * `Retry-After` when the identity provider (its keys, its introspection endpoint) is out of reach. The
 * reason and its detail go on the exception, and the guard logs them at debug level; the token never does.
 * Other errors are returned unchanged.
 */
export function tokenRefusal(error: unknown): unknown {
  if (error instanceof KeySetUnavailableError) {
    return new SecurityHttpException(503, 'The identity provider is unreachable', { 'Retry-After': String(error.retryAfterSeconds) }, 'key_set_unavailable');
  }
  if (error instanceof IntrospectionUnavailableError) {
    return new SecurityHttpException(503, 'The identity provider is unreachable', { 'Retry-After': String(error.retryAfterSeconds) }, 'introspection_unavailable');
  }
  if (!(error instanceof InvalidTokenError)) return error;
  return new SecurityHttpException(401, 'Could not validate credentials', { 'WWW-Authenticate': INVALID_TOKEN_CHALLENGE }, error.reason, error.message);
}

/**
 * A verified token presented as a bearer token, by a validator without DPoP: refused when it is
 * sender-constrained (`cnf`), since only its holder's proof (DPoP, mTLS) may present it.
 * IntrospectionValidator refuses such answers itself.
 */
export function asBearerGrant<T extends { readonly claims: object | undefined }>(verified: T): T {
  if ((verified.claims as { cnf?: unknown } | undefined)?.cnf !== undefined) {
    throw tokenRefusal(new InvalidTokenError('typ_mismatch', 'the token is sender-constrained (cnf), not a bearer token'));
  }
  return verified;
}

/**
 * What a token validator documents (`SecurityValidator.documentedRefusals`): its `invalid_token` 401 (with
 * DPoP, DPoP's answers instead), and the 503 when it reaches its identity provider while serving (`remote`).
 */
export function tokenValidatorRefusals(remote: boolean, dpop: { documentedRefusals(): ValidatorRefusal[] } | undefined): ValidatorRefusal[] {
  const refusals: ValidatorRefusal[] = dpop
    ? dpop.documentedRefusals()
    : [
        {
          error: new SecurityHttpException(401, 'Could not validate credentials', { 'WWW-Authenticate': INVALID_TOKEN_CHALLENGE }),
          when: 'the token is invalid, expired or revoked',
        },
      ];
  if (remote) {
    refusals.push({
      error: new SecurityHttpException(503, 'The identity provider is unreachable', { 'Retry-After': '30' }),
      when: 'the identity provider (its keys or introspection endpoint) is out of reach',
    });
  }
  return refusals;
}
