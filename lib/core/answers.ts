import type { HttpException } from '@nestjs/common';
import { headersOf, SecurityHttpException } from './security.exception.js';

// What the guard answers, in one place: the guard builds its refusals with these functions, and the
// OpenAPI writer (lib/openapi/route-answers.ts) lists the same answers from the same functions.

/** Several alternatives lacking their credentials: one 401 carrying each one's challenge (RFC 9110 allows a list). */
export function combineChallenges(challenges: HttpException[]): HttpException {
  if (challenges.length === 1) return challenges[0];
  const values: string[] = [];
  for (const challenge of challenges) {
    const value = headersOf(challenge)?.['WWW-Authenticate'];
    if (challenge.getStatus() !== 401) return challenge;
    if (value && !values.includes(value)) values.push(value);
  }
  return new SecurityHttpException(401, 'Not authenticated', values.length ? { 'WWW-Authenticate': values.join(', ') } : {});
}

/**
 * The 403 of a missing scope or a failed claim check, with its `insufficient_scope` challenge (RFC 6750; on DPoP's
 * challenge for a scheme that takes DPoP-bound tokens, RFC 9449 §7.1: `SecurityScheme.refusalChallenge`).
 */
export function notEnoughPermissions(challenge: string): SecurityHttpException {
  return new SecurityHttpException(403, 'Not enough permissions', { 'WWW-Authenticate': challenge });
}

/** The 401 of a step-up requirement the credentials do not meet (RFC 9470). */
export function insufficientUserAuthentication(challenge: string): SecurityHttpException {
  return new SecurityHttpException(401, 'Insufficient user authentication', { 'WWW-Authenticate': challenge });
}
