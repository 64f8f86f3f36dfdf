import { BadRequestException, Logger } from '@nestjs/common';
import { headersOf } from 'nestjs-security-schemes';
import { RetryLaterException } from '../common/retry-later.exception.js';

/**
 * A token endpoint error of RFC 6749 section 5.2, in the body shape of every other error of the sample:
 * `{ "statusCode": 400, "message": "...", "error": "invalid_grant" }`. `error` carries the OAuth error code
 * that OAuth clients read; `message` says what happened, never with the token.
 */
function oauthError(error: 'invalid_grant' | 'invalid_scope', message: string): BadRequestException {
  return new BadRequestException({ statusCode: 400, message, error });
}

/** The refresh token is invalid, expired, revoked, already used, or its user cannot have tokens any more. */
export function invalidGrant(message: string): BadRequestException {
  return oauthError('invalid_grant', message);
}

/** The refresh asks for a scope the original grant did not include. */
export function invalidScope(): BadRequestException {
  return oauthError('invalid_scope', 'The requested scope exceeds the scope granted by the resource owner');
}

const logger = new Logger('Sessions');

/**
 * Runs a call to the revocation store; when the store cannot answer (Redis out of reach: `consumeOnce`
 * cannot be atomic without it), the client gets `503` with the store's `Retry-After` (1 s when it gives
 * none) instead of a 500, and the cause is logged without any token.
 */
export async function withRevocationStore<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    logger.warn(`${action}: the revocation store did not answer (${error instanceof Error ? error.message : String(error)})`);
    const retryAfter = Number(headersOf(error)?.['Retry-After']);
    throw new RetryLaterException(503, 'Sessions are unavailable, try again later', Number.isFinite(retryAfter) && retryAfter >= 1 ? retryAfter : 1);
  }
}
