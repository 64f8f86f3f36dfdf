import type { Response } from 'supertest';

/** Nest's body for a missing or rejected credential. */
export const NOT_AUTHENTICATED = { statusCode: 401, message: 'Not authenticated', error: 'Unauthorized' };

/** Nest's body for a principal that lacks a required scope. */
export const NOT_ENOUGH_PERMISSIONS = { statusCode: 403, message: 'Not enough permissions', error: 'Forbidden' };

/** What a security test looks at in a response, in one object so a failure shows all of it. */
export interface Outcome {
  status: number;
  body: unknown;
  challenge: string | undefined;
}

export function outcome(response: Response): Outcome {
  return { status: response.status, body: response.body, challenge: response.headers['www-authenticate'] };
}

/** 200 with `body` and no challenge. */
export function ok(body: unknown): Outcome {
  return { status: 200, body, challenge: undefined };
}

/** 401 `Not authenticated` with exactly this `WWW-Authenticate`. */
export function unauthorized(challenge: string): Outcome {
  return { status: 401, body: NOT_AUTHENTICATED, challenge };
}

/** 403 `Not enough permissions` with RFC 6750's insufficient_scope challenge for `scopes`. */
export function forbidden(scopes: string): Outcome {
  return { status: 403, body: NOT_ENOUGH_PERMISSIONS, challenge: `Bearer error="insufficient_scope", scope="${scopes}"` };
}

/** `Authorization: Basic ...` for a user name and password, encoded as UTF-8 (RFC 7617). */
export function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}
