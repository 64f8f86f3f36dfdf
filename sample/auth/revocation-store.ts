import { Logger } from '@nestjs/common';
import { InMemoryRevocationStore, RedisRevocationStore, type RevocationStore } from 'nestjs-security-schemes';

/**
 * Where the sample keeps revoked tokens and used refresh tokens: in Redis when `REDIS_URL` is set
 * (`redis://host:6379`, shared by every instance of the sample: a logout on one is refused by all, and a
 * refresh token is retired once for all), in this process's memory otherwise (one instance).
 */
export function revocationStoreFrom(env: NodeJS.ProcessEnv = process.env, logger = new Logger('Sessions')): RevocationStore {
  const url = env.REDIS_URL;
  if (url === undefined || url === '') {
    logger.log('Revocations and used refresh tokens are kept in memory (one instance). Set REDIS_URL to share them between instances.');
    return new InMemoryRevocationStore();
  }
  logger.log('Revocations and used refresh tokens are shared through Redis (REDIS_URL).'); // the URL may hold a password: not logged
  return new RedisRevocationStore({ redis: url });
}
