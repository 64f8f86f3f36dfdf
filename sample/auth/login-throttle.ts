import { Inject, Injectable } from '@nestjs/common';
import { ThrottlerStorage, type ThrottlerModuleOptions } from '@nestjs/throttler';
import { createHash } from 'node:crypto';
import { RetryLaterException } from '../common/retry-later.exception.js';

/** Injection token of the LoginThrottleLimits. */
export const LOGIN_THROTTLE_LIMITS = Symbol('LOGIN_THROTTLE_LIMITS');

/** Attempts of `POST /token` allowed per client (IP address) and per user name, in a sliding window. */
export interface LoginThrottleLimits {
  perClient: number;
  perUsername: number;
  windowSeconds: number;
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be an integer >= 1, got "${raw}".`);
  return value;
}

/** `LOGIN_LIMIT_PER_CLIENT` (30), `LOGIN_LIMIT_PER_USERNAME` (10) attempts per `LOGIN_LIMIT_WINDOW_SECONDS` (60). */
export function loginThrottleLimitsFrom(env: NodeJS.ProcessEnv = process.env): LoginThrottleLimits {
  return {
    perClient: positiveInteger(env, 'LOGIN_LIMIT_PER_CLIENT', 30),
    perUsername: positiveInteger(env, 'LOGIN_LIMIT_PER_USERNAME', 10),
    windowSeconds: positiveInteger(env, 'LOGIN_LIMIT_WINDOW_SECONDS', 60),
  };
}

/** ThrottlerModule's options: the per-client limit, applied by ThrottlerGuard on `POST /token` only. */
export function clientThrottlerOptions(limits: LoginThrottleLimits): ThrottlerModuleOptions {
  return [{ limit: limits.perClient, ttl: limits.windowSeconds * 1000 }];
}

/**
 * The per-user-name limit, counted in @nestjs/throttler's storage (the same store as the per-client limit;
 * swap in a shared one, e.g. Redis, when the API runs on several instances). It runs in the handler, once
 * the form is read: a guard runs before the body of a multipart form is parsed, and would not see the name.
 * Every attempt counts, right or wrong, so the N+1th attempt within the window gets 429 with Retry-After.
 */
@Injectable()
export class UsernameThrottle {
  constructor(
    @Inject(ThrottlerStorage) private readonly storage: ThrottlerStorage,
    @Inject(LOGIN_THROTTLE_LIMITS) private readonly limits: LoginThrottleLimits,
  ) {}

  async attempt(username: string): Promise<void> {
    // A digest: any user name, however long, takes a fixed-size key.
    const key = `login-username:${createHash('sha256').update(username, 'utf8').digest('base64url')}`;
    const windowMs = this.limits.windowSeconds * 1000;
    const { isBlocked, timeToBlockExpire } = await this.storage.increment(key, windowMs, this.limits.perUsername, windowMs, 'username');
    if (isBlocked) throw new RetryLaterException(429, 'Too many login attempts for this user name, try again later', timeToBlockExpire);
  }
}
