import type { LoggerService } from '@nestjs/common';
import { Redis } from 'ioredis';
import { RedisRevocationStore, SecuritySchemesModule } from 'nestjs-security-schemes';
import { now } from '../jwt/craft';
import { ok, outcome } from '../utils/auth';
import { createTestApp, PLATFORMS, type Platform, type TestApp } from '../utils/platforms';
import { describeWithRedis, startRedisServer, type RedisServer } from '../utils/redis-server';
import { AccountController, bearer, jtiOf, jwt, REVOKED, sign } from './revocation-app';

/** Records what the library logs (the apps' logger). */
class LogRecorder implements LoggerService {
  readonly lines: { level: string; message: string; context?: string }[] = [];
  log = (message: string, context?: string) => void this.lines.push({ level: 'log', message, context });
  warn = (message: string, context?: string) => void this.lines.push({ level: 'warn', message, context });
  error = (message: string, context?: string) => void this.lines.push({ level: 'error', message, context });
  storeLines = (level: string) => this.lines.filter((line) => line.level === level && line.context === 'RedisRevocationStore');
}

interface Instance {
  t: TestApp;
  store: RedisRevocationStore;
  get(token: string): Promise<ReturnType<typeof outcome>>;
}

async function startInstance(platform: Platform, redis: string | Redis, logs?: LogRecorder): Promise<Instance> {
  const store = new RedisRevocationStore({ redis, commandTimeoutMs: 500, retryAfterSeconds: 3 });
  const t = await createTestApp(
    platform,
    { imports: [SecuritySchemesModule.forRoot({ schemes: [{ scheme: bearer, validator: jwt() }], revocation: store })], controllers: [AccountController] },
    (app) => (logs ? app.useLogger(logs) : undefined),
  );
  return { t, store, get: (token) => t.http.get('/me').set('Authorization', `Bearer ${token}`).then(outcome) };
}

/** Polls until `check` is true; fails after `ms`. */
async function eventually(check: () => Promise<boolean> | boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describeWithRedis('RedisRevocationStore with a real redis-server', () => {
  describe.each(PLATFORMS)('two instances sharing one Redis (%s)', (platform) => {
    let redis: RedisServer;
    let a: Instance;
    let b: Instance;
    const logs = new LogRecorder();

    beforeAll(async () => {
      redis = await startRedisServer();
      a = await startInstance(platform, redis.url, logs);
      b = await startInstance(platform, redis.url, logs);
    });
    afterAll(async () => {
      await a?.t.close();
      await b?.t.close();
      await redis?.stop();
    });

    it('refuses on B a token logged out on A, although B had it cached', async () => {
      const token = sign();
      expect(await b.get(token)).toEqual(ok({ sub: 'alice' }));
      expect(await b.get(token)).toEqual(ok({ sub: 'alice' }));
      expect((await a.t.http.post('/logout').set('Authorization', `Bearer ${token}`)).status).toBe(201);
      expect(await a.get(token)).toEqual(REVOKED);
      await eventually(async () => (await b.get(token)).status === 401);
      expect(await b.get(token)).toEqual(REVOKED);
      expect(await b.get(sign())).toEqual(ok({ sub: 'alice' }));
    });

    it('propagates session and subject revocations', async () => {
      const inSession = sign({ sid: 'family-1' });
      const bobsOld = sign({ sub: 'bob', iat: now() - 2 });
      expect(await b.get(inSession)).toEqual(ok({ sub: 'alice' }));
      expect(await b.get(bobsOld)).toEqual(ok({ sub: 'bob' }));
      await a.store.revokeSession('family-1', now() + 60);
      await a.store.revokeSubject('bob', Date.now() / 1000, now() + 60);
      await eventually(() => b.store.isRevoked({ sid: 'family-1' }) && b.store.isRevoked({ sub: 'bob', iat: now() - 2 }));
      expect(await b.get(inSession)).toEqual(REVOKED);
      expect(await b.get(bobsOld)).toEqual(REVOKED);
      expect(await b.get(sign({ sub: 'bob', iat: Date.now() / 1000 + 0.01 }))).toEqual(ok({ sub: 'bob' }));
    });

    it('a new instance loads what was revoked before it started', async () => {
      const c = await startInstance(platform, redis.url, logs);
      try {
        expect(c.store.isRevoked({ sid: 'family-1' })).toBe(true);
        expect(c.store.isRevoked({ sub: 'bob', iat: now() - 2 })).toBe(true);
      } finally {
        await c.t.close();
      }
    });

    it('lets exactly one of two instances consume an id, when both try at once', async () => {
      for (let i = 0; i < 20; i++) {
        const answers = await Promise.all([a.store.consumeOnce(`refresh-${i}`, now() + 60), b.store.consumeOnce(`refresh-${i}`, now() + 60)]);
        expect(answers.filter(Boolean)).toHaveLength(1);
      }
      const overHttp = await Promise.all([a.t.http.post('/once/http-1'), b.t.http.post('/once/http-1')]);
      expect(overHttp.map((response) => response.body.first).sort()).toEqual([false, true]);
    });

    it('keeps Redis bounded: entries and sets expire with the tokens', async () => {
      const inspect = new Redis(redis.url);
      try {
        await a.store.revokeToken('short-lived', now() + 1);
        expect(await inspect.zscore('{nss-revocation}:tokens', 'short-lived')).not.toBeNull();
        expect(await inspect.ttl('{nss-revocation}:tokens')).toBeGreaterThan(0);
        await new Promise((resolve) => setTimeout(resolve, 2100));
        await a.store.revokeToken('later', now() + 60); // every write drops the expired entries
        expect(await inspect.zscore('{nss-revocation}:tokens', 'short-lived')).toBeNull();
        expect(await inspect.ttl('{nss-revocation}:once:refresh-0')).toBeGreaterThan(50);
      } finally {
        inspect.disconnect();
      }
    });

    it('survives Redis going away and coming back empty: no 500, nothing forgotten', async () => {
      const before = sign();
      await a.store.revokeToken(jtiOf(before), now() + 60);
      await eventually(() => b.store.isRevoked({ jti: jtiOf(before) }));
      const warnings = logs.storeLines('warn').length;

      await redis.kill();
      // Known revocations are still refused, valid tokens still accepted, on both.
      expect(await a.get(before)).toEqual(REVOKED);
      expect(await b.get(before)).toEqual(REVOKED);
      const valid = sign();
      expect(await b.get(valid)).toEqual(ok({ sub: 'alice' }));
      // A logout meanwhile is applied at once on A (201, not 500)...
      const duringOutage = sign();
      expect(await b.get(duringOutage)).toEqual(ok({ sub: 'alice' }));
      expect((await a.t.http.post('/logout').set('Authorization', `Bearer ${duringOutage}`)).status).toBe(201);
      expect(await a.get(duringOutage)).toEqual(REVOKED);
      // ...and a one-time id cannot be consumed atomically: 503 with Retry-After, never a 500.
      await expect(a.store.consumeOnce('during-outage', now() + 60)).rejects.toMatchObject({
        status: 503,
        headers: { 'Retry-After': '3' },
        reason: 'revocation_unavailable',
      });
      const once = await a.t.http.post('/once/during-outage');
      expect({ status: once.status, body: once.body }).toEqual({
        status: 503,
        body: { statusCode: 503, message: 'The revocation store is unreachable', error: 'Service Unavailable' },
      });
      // One warning per instance for the outage, without a token. B, which sent nothing, notices on its
      // own when its reconnection is refused: wait for that rather than race it.
      await eventually(() => logs.storeLines('warn').length - warnings >= 2);
      const outageWarnings = logs.storeLines('warn').slice(warnings);
      expect(outageWarnings).toHaveLength(2);
      for (const line of outageWarnings) expect(line.message).not.toContain(duringOutage.split('.')[2]);

      await redis.restart(); // empty: no persistence
      await eventually(() => b.store.isRevoked({ jti: jtiOf(duringOutage) }), 10_000);
      expect(await b.get(duringOutage)).toEqual(REVOKED);
      expect(await b.get(before)).toEqual(REVOKED);
      expect(await b.get(valid)).toEqual(ok({ sub: 'alice' }));
      // Written back into the new Redis: a fresh instance knows both.
      await eventually(async () => {
        const inspect = new Redis(redis.url);
        try {
          return (await inspect.zscore('{nss-revocation}:tokens', jtiOf(duringOutage))) !== null && (await inspect.zscore('{nss-revocation}:tokens', jtiOf(before))) !== null;
        } finally {
          inspect.disconnect();
        }
      });
      expect(logs.storeLines('warn').length - warnings).toBe(outageWarnings.length);
      expect(logs.storeLines('log').some((line) => line.message.startsWith('Redis is reachable again'))).toBe(true);
      expect((await a.t.http.post('/once/after-outage')).body).toEqual({ first: true });
    });
  });

  describe('configuration', () => {
    let redis: RedisServer;
    beforeAll(async () => (redis = await startRedisServer()));
    afterAll(() => redis?.stop());

    it('works from an ioredis client of the application, and leaves it open', async () => {
      const client = new Redis(redis.url);
      const store = new RedisRevocationStore({ redis: client });
      const other = new RedisRevocationStore({ redis: redis.url });
      try {
        await Promise.all([store.connect(), other.connect()]);
        await store.revokeToken('from-client', now() + 60);
        await eventually(() => other.isRevoked({ jti: 'from-client' }));
        await store.close();
        expect(await client.ping()).toBe('PONG');
      } finally {
        await store.close();
        await other.close();
        client.disconnect();
      }
    });

    it('carries any id through pub/sub and a reload: spaces, line breaks, non-ASCII', async () => {
      const ids = ['with space', 'line\nbreak', 'émoji 🔑', '1700000000 looks like a cut-off'];
      const a = new RedisRevocationStore({ redis: redis.url, prefix: '{odd-ids}' });
      const b = new RedisRevocationStore({ redis: redis.url, prefix: '{odd-ids}' });
      const later = new RedisRevocationStore({ redis: redis.url, prefix: '{odd-ids}' });
      try {
        await Promise.all([a.connect(), b.connect()]);
        for (const id of ids) {
          await a.revokeToken(id, now() + 60);
          await a.revokeSession(id, now() + 60);
          await a.revokeSubject(id, 1000.25, now() + 60);
        }
        const refusedEverywhere = (store: RedisRevocationStore) =>
          ids.every((id) => store.isRevoked({ jti: id }) && store.isRevoked({ sid: id }) && store.isRevoked({ sub: id, iat: 1000 }));
        await eventually(() => refusedEverywhere(b));
        await later.connect();
        expect(refusedEverywhere(later)).toBe(true);
        expect(ids.some((id) => later.isRevoked({ sub: id, iat: 1000.5 }))).toBe(false);
        expect(later.isRevoked({ jti: 'with' })).toBe(false);
      } finally {
        await Promise.all([a.close(), b.close(), later.close()]);
      }
    });

    it('refuses to start when Redis cannot be reached', async () => {
      const started = Date.now();
      const store = new RedisRevocationStore({ redis: 'redis://127.0.0.1:1', startupTimeoutMs: 300 });
      await expect(store.connect()).rejects.toThrow('could not load the revocations from Redis within 300 ms');
      expect(Date.now() - started).toBeLessThan(3000);
    });

    it('refuses bad options, without echoing the URL', () => {
      expect(() => new RedisRevocationStore({ redis: 'http://user:secret@host' })).toThrow(/^RedisRevocationStore: redis must be a redis:\/\/ or rediss:\/\/ URL\.$/);
      expect(() => new RedisRevocationStore({ redis: 42 as unknown as string })).toThrow('an ioredis client');
      expect(() => new RedisRevocationStore({ redis: redis.url, commandTimeoutMs: 0 })).toThrow('commandTimeoutMs must be a positive number');
    });
  });
});
