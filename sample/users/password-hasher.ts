import { Inject, Injectable, Optional } from '@nestjs/common';
import argon2 from 'argon2';
import { RetryLaterException } from '../common/retry-later.exception.js';
import { LOGIN_LIMITS, loginLimitsFrom, type LoginLimits } from './login-limits.js';
import { WorkLimiter, WorkLimiterFullError } from './work-limiter.js';

/**
 * argon2id, 64 MiB, 3 passes (argon2's defaults, what FastAPI's tutorial uses through pwdlib), in one lane.
 * Above OWASP's minimum (argon2id, m=19 MiB, t=2, p=1). One lane, because argon2 runs each lane on a thread
 * of its own, outside libuv's pool: with p=1 a verification takes exactly one thread, so the limit on
 * concurrent verifications below is the number of cores they can take.
 */
export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 65536, timeCost: 3, parallelism: 1 } as const;

/** The hash of random bytes nobody kept, made with ARGON2_OPTIONS. No password matches it. */
export const DUMMY_HASH = '$argon2id$v=19$m=65536,t=3,p=1$LLn9iC47MUygPHGtRPZhSg$gFLbEIy7DpyFbCJQItGoEXhgD6zjLFGigyYHvY5wqEM';

/**
 * Hashes and verifies passwords with argon2, a few at a time (LoginLimits): a flood of logins waits in a
 * bounded line instead of taking every core from the requests of everyone else, and beyond the line it is
 * refused at once with 503 and `Retry-After`.
 */
@Injectable()
export class PasswordHasher {
  private readonly limiter: WorkLimiter;

  constructor(@Optional() @Inject(LOGIN_LIMITS) limits: LoginLimits = loginLimitsFrom()) {
    this.limiter = new WorkLimiter(limits.concurrency, limits.queue);
  }

  /** Verifications running or waiting. */
  get pending(): number {
    return this.limiter.pending;
  }

  hash(password: string): Promise<string> {
    return this.limited(() => argon2.hash(password, ARGON2_OPTIONS));
  }

  /**
   * True when `password` matches `hash`. Without a hash (an unknown user) it verifies against a
   * dummy hash all the same, so an unknown user name costs as much as a wrong password: the
   * response time does not tell which user names exist. When `signal` aborts (the client hung up) while
   * the verification waits in line, it never runs, and this rejects with the signal's reason.
   */
  async verify(hash: string | undefined, password: string, signal?: AbortSignal): Promise<boolean> {
    const matches = await this.limited(() => argon2.verify(hash ?? DUMMY_HASH, password), signal);
    return matches && hash !== undefined;
  }

  private async limited<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await this.limiter.run(task, signal);
    } catch (error) {
      if (error instanceof WorkLimiterFullError) {
        throw new RetryLaterException(503, 'Too many logins at once, try again later', error.retryAfterSeconds);
      }
      throw error;
    }
  }
}
