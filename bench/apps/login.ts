import { BadRequestException, Body, Controller, HttpCode, Injectable, Module, Post, type OnModuleInit } from '@nestjs/common';
import argon2 from 'argon2';
import { SkipSecurity } from 'nestjs-security-schemes';
import { PASSWORD, signAccessToken, USERNAME } from '../fixtures';
import { ItemsController, JwtValidator, jwtSecurityModule, USERS } from './jwt-scopes';

// Scenario 8: scenario 4's app plus the password login, POST /token, verified with argon2.

/** OWASP's minimum for argon2id: 19 MiB, 2 passes, 1 lane (about 35 ms per verify here). */
const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 } as const;

/**
 * At most `limit` hashes at once; the others wait in line. argon2 runs on libuv's thread pool (4 threads):
 * unbounded, a login flood takes every core and starves the event loop that serves all other requests.
 */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  /** Tasks running or waiting. */
  get pending(): number {
    return this.active + this.waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active < this.limit) this.active++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); // hand the slot over
      else this.active--;
    }
  }
}

/** `LOGIN_CONCURRENCY` (default 1, for a 2-core machine): how many argon2 verifications may run at once. */
export const passwordHashing = new Semaphore(Math.max(1, Number(process.env.LOGIN_CONCURRENCY) || 1));

interface PasswordForm {
  username?: string;
  password?: string;
  scope?: string;
}

@Injectable()
export class PasswordStore implements OnModuleInit {
  private readonly hashes = new Map<string, string>();
  /** Unknown users are checked against this, so that they take as long as known ones. */
  private dummyHash = '';

  async onModuleInit(): Promise<void> {
    this.hashes.set(USERNAME, await argon2.hash(PASSWORD, ARGON2_OPTIONS));
    this.dummyHash = await argon2.hash('not-a-password', ARGON2_OPTIONS);
  }

  async verify(username: string, password: string): Promise<boolean> {
    const hash = this.hashes.get(username);
    const ok = await passwordHashing.run(() => argon2.verify(hash ?? this.dummyHash, password));
    return ok && hash !== undefined;
  }
}

@Controller()
@SkipSecurity()
class TokenController {
  constructor(private readonly passwords: PasswordStore) {}

  @Post('token')
  @HttpCode(200)
  async login(@Body() form: PasswordForm) {
    const { username, password } = form ?? {};
    if (typeof username !== 'string' || typeof password !== 'string' || !(await this.passwords.verify(username, password))) {
      throw new BadRequestException('Incorrect username or password');
    }
    const allowed = USERS.get(username)!.scopes;
    const requested = typeof form.scope === 'string' ? form.scope.split(' ').filter(Boolean) : [];
    return { access_token: signAccessToken(username, requested.filter((scope) => allowed.includes(scope))), token_type: 'bearer' };
  }
}

@Module({
  imports: [jwtSecurityModule()],
  providers: [JwtValidator, PasswordStore],
  controllers: [ItemsController, TokenController],
})
export class LoginModule {}
