import { Logger } from '@nestjs/common';
import { createSecretKey, type KeyObject } from 'node:crypto';

/** Injection token of the JWT signing key. */
export const SIGNING_KEY = Symbol('SIGNING_KEY');

/** Public, hence only for development: anyone who reads this file can forge tokens signed with it. */
const DEVELOPMENT_SECRET_KEY = 'development-only-secret-key-do-not-deploy-0123456789';

/**
 * The HS256 key, from the environment variable SECRET_KEY (at least 32 bytes, e.g. `openssl rand -hex 32`).
 * Built once at start-up: jsonwebtoken verifies with a KeyObject in ~10-15 µs, with a string in ~660 µs.
 * Without SECRET_KEY it falls back to a development key, with a warning; in production it refuses to start.
 */
export function loadSigningKey(env: NodeJS.ProcessEnv = process.env, logger = new Logger('SigningKey')): KeyObject {
  const secret = env.SECRET_KEY;
  if (!secret) {
    if (env.NODE_ENV === 'production') {
      throw new Error('SECRET_KEY is not set. Set it to a random value of at least 32 bytes, e.g. `openssl rand -hex 32`.');
    }
    logger.warn(
      'SECRET_KEY is not set: tokens are signed with the public development key, so anyone can forge them. ' +
        'Set SECRET_KEY (e.g. `export SECRET_KEY=$(openssl rand -hex 32)`) before deploying.',
    );
    return createSecretKey(Buffer.from(DEVELOPMENT_SECRET_KEY, 'utf8'));
  }
  if (Buffer.byteLength(secret, 'utf8') < 32) {
    throw new Error('SECRET_KEY must be at least 32 bytes (256 bits) for HS256, e.g. `openssl rand -hex 32`.');
  }
  return createSecretKey(Buffer.from(secret, 'utf8'));
}
