import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { Inject, Injectable, Logger } from '@nestjs/common';
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

/** Where the sample's login counts start in Redis (the rest of each key is @nestjs/throttler's). */
export const LOGIN_COUNTS_REDIS_PREFIX = 'sample:login-throttle:';

/**
 * The login counts in Redis, through @nest-lab/throttler-storage-redis (one atomic script per attempt):
 * every instance with the same REDIS_URL counts in the same place, so N instances allow the limits once,
 * not N times. An attempt that cannot be counted (Redis out of reach, or no answer within 2 s) is
 * refused with 503 and Retry-After, never let through uncounted and never a 500.
 */
export class RedisLoginCounts extends ThrottlerStorageRedisService {
  private readonly logger = new Logger('LoginThrottle');

  constructor(url: string) {
    // Connected at the first attempt; no retries, and a bounded wait (2 s, as the revocation store's): a login
    // waits at most that long behind an outage or a stalled Redis, then gets its 503.
    super(url, { keyPrefix: LOGIN_COUNTS_REDIS_PREFIX, lazyConnect: true, maxRetriesPerRequest: 0, commandTimeout: 2000 });
    // ioredis reports every failed reconnection: log the first of each outage (the URL, which may hold a password, is not logged).
    let reported = false;
    this.redis.on('error', (error: Error) => {
      if (!reported) this.logger.warn(`Redis is out of reach: POST /token gets 503 until it is back (${error.message})`);
      reported = true;
    });
    this.redis.on('ready', () => (reported = false));
  }

  override async increment(...args: Parameters<ThrottlerStorage['increment']>): ReturnType<ThrottlerStorage['increment']> {
    try {
      return await super.increment(...args);
    } catch (error) {
      this.logger.warn(`An attempt of POST /token could not be counted (${error instanceof Error ? error.message : String(error)})`);
      // The same answer as a refresh that the revocation store cannot check: the sessions' Redis is out of reach.
      throw new RetryLaterException(503, 'Sessions are unavailable, try again later', 1);
    }
  }
}

/**
 * ThrottlerModule's options: the per-client limit, applied by ThrottlerGuard on `POST /token` only, and the
 * storage of every login count (per client and per user name): Redis when `REDIS_URL` is set, shared by every
 * instance of the sample; @nestjs/throttler's in-memory storage otherwise (one instance).
 */
export function loginThrottlerOptions(
  limits: LoginThrottleLimits,
  env: NodeJS.ProcessEnv = process.env,
  logger = new Logger('LoginThrottle'),
): ThrottlerModuleOptions {
  const throttlers = [{ limit: limits.perClient, ttl: limits.windowSeconds * 1000 }];
  const url = env.REDIS_URL;
  if (url === undefined || url === '') {
    logger.log('Login attempts are counted in memory (one instance). Set REDIS_URL to share the counts between instances.');
    return { throttlers };
  }
  logger.log('Login attempts are counted in Redis (REDIS_URL), shared by every instance.');
  return { throttlers, storage: new RedisLoginCounts(url) };
}

/**
 * The per-user-name limit, counted in @nestjs/throttler's storage (the same store as the per-client limit:
 * Redis with REDIS_URL, see `loginThrottlerOptions`). It runs in the handler, once
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
