import { REVOCATION_MAX_EXPIRES_AT } from './revocation-store.js';

// The stores' argument checks (not exported by the package).

/** `value`, when it is a time in seconds (a finite number); a TypeError otherwise. */
export function checkTime(method: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`RevocationStore.${method}: ${name} must be a time in seconds since the epoch (a JWT NumericDate).`);
  }
  return value;
}

/** An `expiresAt` (checked as a time) clamped to `REVOCATION_MAX_EXPIRES_AT`. */
export function checkExpiry(method: string, expiresAt: unknown): number {
  return Math.min(checkTime(method, 'expiresAt', expiresAt), REVOCATION_MAX_EXPIRES_AT);
}

export function checkId(method: string, name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`RevocationStore.${method}: ${name} must be a non-empty string.`);
  return value;
}

/** `consumeOnce`'s optional attempt: undefined, or a non-empty string. */
export function checkAttempt(attempt: unknown): string | undefined {
  if (attempt !== undefined && (typeof attempt !== 'string' || attempt === '')) {
    throw new TypeError('RevocationStore.consumeOnce: attempt must be a non-empty string when given.');
  }
  return attempt;
}
