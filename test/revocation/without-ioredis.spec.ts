// ioredis is an optional peer: an application that never uses the Redis store loads the library, gets the
// in-memory store, and only a Redis store created from a URL asks for the package.
jest.mock('ioredis', () => {
  throw new Error('ioredis is not installed');
});

import { InMemoryRevocationStore, RedisRevocationStore, RevocationStore, SecuritySchemesModule } from 'nestjs-security-schemes';
import { ok, outcome } from '../utils/auth';
import { createTestApp, PLATFORMS } from '../utils/platforms';
import { AccountController, bearer, jwt, sign } from './revocation-app';

describe.each(PLATFORMS)('an application without ioredis (%s)', (platform) => {
  it('loads the library and revokes tokens with the in-memory store', async () => {
    expect(() => require('ioredis')).toThrow('ioredis is not installed');
    const t = await createTestApp(platform, {
      imports: [SecuritySchemesModule.forRoot({ schemes: [{ scheme: bearer, validator: jwt() }] })],
      controllers: [AccountController],
    });
    try {
      expect(t.app.get(RevocationStore)).toBeInstanceOf(InMemoryRevocationStore);
      const token = sign();
      expect(outcome(await t.http.get('/me').set('Authorization', `Bearer ${token}`))).toEqual(ok({ sub: 'alice' }));
      await t.http.post('/logout').set('Authorization', `Bearer ${token}`).expect(201);
      await t.http.get('/me').set('Authorization', `Bearer ${token}`).expect(401);
    } finally {
      await t.close();
    }
  });

  it('says what to install when a Redis store is created from a URL', async () => {
    await expect(new RedisRevocationStore({ redis: 'redis://127.0.0.1:6379' }).connect()).rejects.toThrow(
      'RedisRevocationStore needs the ioredis package: npm install ioredis',
    );
  });
});
