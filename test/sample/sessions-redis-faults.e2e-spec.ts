import type { TestingModuleBuilder } from '@nestjs/testing';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import jwt from 'jsonwebtoken';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { PLATFORMS, type TestApp } from '../utils/platforms';
import { describeWithRedis, startRedisServer, type RedisServer } from '../utils/redis-server';
import { withEnv } from './env';
import { bearer, loginPair, postRefresh, startSample } from './sample-app';

// The sample's refresh and "log out everywhere" while Redis is slow: two instances (A and B, Nest apps of the
// sample) sharing a real redis-server whose writes the test pauses with CLIENT PAUSE ... WRITE. The sample's
// store waits 2 s for a command (RedisRevocationStore's default): a 3 s pause makes a refresh time out (503),
// a 1.5 s one keeps it in flight. The login counts stay in memory here: with REDIS_URL the sample counts them
// in Redis too (login-throttle-redis.e2e-spec.ts), and the paused writes would stop POST /token in
// ThrottlerGuard, before the refresh reaches the revocation store this suite is about.
const loginCountsInMemory = (builder: TestingModuleBuilder) => builder.overrideProvider(ThrottlerStorage).useValue(new ThrottlerStorageService());

const PROTECTED = ['/users/me', '/users/me/items', '/status', '/reports', '/greeting', '/passport/me', '/oidc/userinfo'];
const everywhere = (status: number) => Object.fromEntries(PROTECTED.map((path) => [path, status]));
const invalidGrant = (message: string) => ({ statusCode: 400, message, error: 'invalid_grant' });
const INVALID_REFRESH = invalidGrant('The refresh token is invalid, expired or revoked');
const REUSED = invalidGrant('The refresh token was already used: every token of its session is revoked');
const UNAVAILABLE = { statusCode: 503, message: 'Sessions are unavailable, try again later', error: 'Service Unavailable' };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeWithRedis('sample: refresh and log out everywhere while Redis is slow (CLIENT PAUSE WRITE)', () => {
  describe.each(PLATFORMS)('%s', (platform) => {
    let redis: RedisServer;
    let admin: Redis;
    let env: { restore(): void };
    let a: TestApp;
    let b: TestApp;

    beforeAll(async () => {
      redis = await startRedisServer();
      admin = new Redis(redis.url);
      env = withEnv({ REDIS_URL: redis.url, LOGIN_LIMIT_PER_CLIENT: '1000', LOGIN_LIMIT_PER_USERNAME: '1000' });
      a = await startSample(platform, loginCountsInMemory);
      b = await startSample(platform, loginCountsInMemory);
    });
    afterAll(async () => {
      await a?.close();
      await b?.close();
      env?.restore();
      admin?.disconnect();
      await redis?.stop();
    });

    const johndoe = (t: TestApp) => loginPair(t.http, 'johndoe', 'secret', 'me items');
    const statuses = async (t: TestApp, accessToken: string) =>
      Object.fromEntries(await Promise.all(PROTECTED.map(async (path) => [path, (await t.http.get(path).set('Authorization', bearer(accessToken))).status])));
    /** Pauses Redis's writes for `ms`; resolves with the time the pause ends. */
    const pauseWrites = async (ms: number) => {
      const endsAt = Date.now() + ms;
      await admin.client('PAUSE', ms, 'WRITE');
      return endsAt;
    };

    it('a refresh whose consumeOnce times out is 503 with Retry-After; its retry with the same Idempotency-Key succeeds once; a replay of the old token is reuse', async () => {
      const session = await johndoe(a);
      const key = randomUUID();
      const pauseEnds = await pauseWrites(3000);
      const timedOut = await postRefresh(a.http, session.refresh_token).set('Idempotency-Key', key);
      expect([timedOut.status, timedOut.body, timedOut.headers['retry-after']]).toEqual([503, UNAVAILABLE, '5']);
      expect(Date.now()).toBeLessThan(pauseEnds); // answered before Redis took the write, which lands afterwards

      await sleep(pauseEnds + 100 - Date.now());
      // The client retries (on another instance, as a load balancer may send it) with the same key: a pair.
      let retry = await postRefresh(b.http, session.refresh_token).set('Idempotency-Key', key);
      for (let tries = 0; retry.status === 503 && tries < 40; tries++) {
        await sleep(50);
        retry = await postRefresh(b.http, session.refresh_token).set('Idempotency-Key', key);
      }
      expect([retry.status, Object.keys(retry.body).sort()]).toEqual([200, ['access_token', 'expires_in', 'refresh_token', 'token_type']]);
      expect((jwt.decode(retry.body.access_token) as jwt.JwtPayload).sid).toBe((jwt.decode(session.refresh_token) as jwt.JwtPayload).sid);
      expect(await statuses(a, retry.body.access_token)).toEqual(everywhere(200));
      // The new refresh token rotates as usual.
      const next = await postRefresh(a.http, retry.body.refresh_token).expect(200);

      // The old refresh token replayed (a thief has it, not the key): reuse, and the session is revoked.
      const replay = await postRefresh(a.http, session.refresh_token);
      expect([replay.status, replay.body]).toEqual([400, REUSED]);
      for (const t of [a, b]) expect(await statuses(t, next.body.access_token)).toEqual(everywhere(401));
    }, 30_000);

    it('log out everywhere while a refresh of an older session waits for Redis (1.5 s write pause, same instance): the refresh is refused', async () => {
      const [older, current] = [await johndoe(a), await johndoe(a)];
      const pauseEnds = await pauseWrites(1500);
      const inFlight = postRefresh(a.http, older.refresh_token).then((res) => res); // sent now, waits in consumeOnce
      await sleep(200);
      const logout = await a.http.post('/logout/all').set('Authorization', bearer(current.access_token));
      const refreshed = await inFlight;
      expect(Date.now()).toBeGreaterThanOrEqual(pauseEnds - 50); // the refresh did wait for the pause
      expect(logout.status).toBe(204);
      expect([refreshed.status, refreshed.body]).toEqual([400, INVALID_REFRESH]);
      for (const t of [a, b]) {
        for (const session of [older, current]) expect(await statuses(t, session.access_token)).toEqual(everywhere(401));
      }
      expect(await statuses(b, (await johndoe(b)).access_token)).toEqual(everywhere(200)); // a login afterwards works
    }, 30_000);

    it('log out everywhere on B while a refresh waits for Redis on A: whatever A answers, its result is unusable', async () => {
      const [older, current] = [await johndoe(a), await johndoe(b)];
      const pauseEnds = await pauseWrites(1500);
      const inFlight = postRefresh(a.http, older.refresh_token).then((res) => res);
      await sleep(200);
      expect((await b.http.post('/logout/all').set('Authorization', bearer(current.access_token))).status).toBe(204);
      const refreshed = await inFlight;
      expect(Date.now()).toBeGreaterThanOrEqual(pauseEnds - 50);
      // A learns of the logout through Redis, in no set order with its consumeOnce: it may refuse at once, or
      // issue a pair that carries the session's login time and is refused everywhere.
      if (refreshed.status === 200) {
        for (const t of [a, b]) expect(await statuses(t, refreshed.body.access_token)).toEqual(everywhere(401));
        expect((await postRefresh(b.http, refreshed.body.refresh_token)).body).toEqual(INVALID_REFRESH);
      } else {
        expect([refreshed.status, refreshed.body]).toEqual([400, INVALID_REFRESH]);
      }
      expect(await statuses(a, older.access_token)).toEqual(everywhere(401));
    }, 30_000);
  });
});
