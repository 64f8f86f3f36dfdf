import { Controller, Get, Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import {
  CurrentUser,
  JwtValidator,
  OAuth2PasswordBearer,
  RedisRevocationStore,
  RevocationStore,
  Security,
  SecuritySchemesModule,
  type JwtClaims,
} from 'nestjs-security-schemes';
import { itemsOf, JWT_KEY, type User } from '../fixtures';
import { USERS } from './jwt-scopes';

// Scenarios 17, 17a and 17b: the sample's route behind the library's JwtValidator (HS256, key object, verified-token
// cache), tokens with a jti. 17 checks no revocation store; 17a checks a RedisRevocationStore with nothing revoked;
// 17b the same store holding 100,000 revoked jtis. The Redis stores connect to BENCH_REDIS_URL (run.ts starts one).

const oauth2 = new OAuth2PasswordBearer({
  tokenUrl: 'token',
  scopes: { me: 'Read information about the current user.', items: 'Read items.' },
});

/** The key prefix (a hash tag) under which run.ts loads the 100,000 revoked jtis of scenario 17b. */
export const PREFIX_100K = '{bench-revoked-100k}';
export const REVOKED_COUNT = 100_000;

function validator(revocation?: false): JwtValidator<User | null> {
  return new JwtValidator<User | null>({
    key: JWT_KEY,
    algorithms: ['HS256'],
    scopes: (claims) => (Array.isArray(claims.scopes) ? (claims.scopes as string[]) : []),
    revocation,
    toPrincipal: (claims: JwtClaims) => {
      const user = typeof claims.sub === 'string' ? USERS.get(claims.sub) : undefined;
      if (!user || !Array.isArray(claims.scopes)) return null;
      return { username: user.username, scopes: claims.scopes.filter((scope: unknown) => user.scopes.includes(scope as string)) };
    },
  });
}

@Controller('users')
@Security(oauth2, ['me'])
class ItemsController {
  @Get('me/items/')
  @Security(oauth2, ['items'])
  items(@CurrentUser() user: User) {
    return itemsOf(user.username);
  }
}

function redisStore(prefix?: string): RedisRevocationStore {
  const url = process.env.BENCH_REDIS_URL;
  if (!url) throw new Error('BENCH_REDIS_URL is not set: run.ts starts a redis-server for the revocation scenarios.');
  return new RedisRevocationStore({ redis: url, prefix });
}

/** Scenario 17b refuses to be measured unless its store really holds the revoked jtis. */
@Injectable()
class LoadedCheck implements OnApplicationBootstrap {
  constructor(private readonly revocations: RevocationStore) {}
  onApplicationBootstrap(): void {
    const held = (this.revocations as RedisRevocationStore).size;
    if (held < REVOKED_COUNT) throw new Error(`The revocation store holds ${held} revocations, not ${REVOKED_COUNT}.`);
  }
}

@Module({
  imports: [SecuritySchemesModule.forRoot({ schemes: [{ scheme: oauth2, validator: validator(false) }] })],
  controllers: [ItemsController],
})
export class JwtNoRevocationModule {}

@Module({
  imports: [
    SecuritySchemesModule.forRootAsync({ useFactory: () => ({ schemes: [{ scheme: oauth2, validator: validator() }], revocation: redisStore() }) }),
  ],
  controllers: [ItemsController],
})
export class JwtRedisRevocationModule {}

@Module({
  imports: [
    SecuritySchemesModule.forRootAsync({
      useFactory: () => ({ schemes: [{ scheme: oauth2, validator: validator() }], revocation: redisStore(PREFIX_100K) }),
    }),
  ],
  providers: [LoadedCheck],
  controllers: [ItemsController],
})
export class JwtRedis100kRevocationModule {}
