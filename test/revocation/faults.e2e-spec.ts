import { Redis } from 'ioredis';
import { RedisRevocationStore, REVOCATION_MAX_EXPIRES_AT, SecuritySchemesModule } from 'nestjs-security-schemes';
import { now } from '../jwt/craft';
import { ok, outcome } from '../utils/auth';
import { createTestApp, PLATFORMS, type Platform, type TestApp } from '../utils/platforms';
import { describeWithRedis, startRedisServer, type RedisServer } from '../utils/redis-server';
import { AccountController, bearer, jtiOf, jwt, REVOKED, sign } from './revocation-app';

// The Redis revocation store under faults, one fault at a time, against a real redis-server: what a client of
// two instances (A and B, each a Nest app on one platform) sees, and that nothing is lost afterwards: no
// revocation, and no session (a refresh retried after a timeout is not taken for reuse). README: "What each
// store and cache promises under each fault".

const COMMAND_TIMEOUT_MS = 500;
const RETRY_AFTER = '3';

interface Instance {
  t: TestApp;
  store: RedisRevocationStore;
  get(token: string): Promise<ReturnType<typeof outcome>>;
  logout(token: string): Promise<number>;
  once(id: string, attempt?: string): Promise<{ status: number; body: unknown; retryAfter: string | undefined }>;
}

async function startInstance(platform: Platform, url: string, startupTimeoutMs = 10_000): Promise<Instance> {
  const store = new RedisRevocationStore({ redis: url, commandTimeoutMs: COMMAND_TIMEOUT_MS, retryAfterSeconds: Number(RETRY_AFTER), startupTimeoutMs });
  const t = await createTestApp(platform, {
    imports: [SecuritySchemesModule.forRoot({ schemes: [{ scheme: bearer, validator: jwt() }], revocation: store })],
    controllers: [AccountController],
  });
  return {
    t,
    store,
    get: (token) => t.http.get('/me').set('Authorization', `Bearer ${token}`).then(outcome),
    logout: async (token) => (await t.http.post('/logout').set('Authorization', `Bearer ${token}`)).status,
    once: async (id, attempt) => {
      const response = await t.http.post(`/once/${id}`).query(attempt === undefined ? {} : { attempt });
      return { status: response.status, body: response.body, retryAfter: response.headers['retry-after'] };
    },
  };
}

/** Calls `call` until it answers something else than a 503 (Redis back), and returns that answer. */
async function untilAvailable<T extends { status: number }>(call: () => Promise<T>, ms = 10_000): Promise<T> {
  let answer = await call();
  const deadline = Date.now() + ms;
  while (answer.status === 503 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    answer = await call();
  }
  return answer;
}

async function eventually(check: () => Promise<boolean> | boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// The store's 503 carries Retry-After in its headers; a controller's answer has it when a filter copies them (README).
const UNAVAILABLE = { status: 503, body: { statusCode: 503, message: 'The revocation store is unreachable', error: 'Service Unavailable' }, retryAfter: undefined };
const STORE_UNAVAILABLE = { status: 503, headers: { 'Retry-After': RETRY_AFTER }, reason: 'revocation_unavailable' };
const first = (value: boolean) => ({ status: 201, body: { first: value }, retryAfter: undefined });

describeWithRedis('RedisRevocationStore under faults (real redis-server)', () => {
  describe.each(PLATFORMS)('%s', (platform) => {
    let redis: RedisServer;
    let inspect: Redis;
    let a: Instance;
    let b: Instance;

    beforeAll(async () => {
      redis = await startRedisServer();
      inspect = new Redis(redis.url);
      [a, b] = await Promise.all([startInstance(platform, redis.url), startInstance(platform, redis.url)]);
    });
    afterAll(async () => {
      await a?.t.close();
      await b?.t.close();
      inspect?.disconnect();
      await redis?.stop();
    });

    /** A third instance starts (within 3 s), checks, and stops. */
    async function newInstance(check: (instance: Instance) => Promise<void> | void): Promise<void> {
      const c = await startInstance(platform, redis.url, 3000);
      try {
        await check(c);
      } finally {
        await c.t.close();
      }
    }

    it(`huge expiry: clamped to ${REVOCATION_MAX_EXPIRES_AT} (9999-12-31); the write still reaches B, the next ones too, and a new instance starts`, async () => {
      const huge = sign({ exp: 1e18 });
      expect(await b.get(huge)).toEqual(ok({ sub: 'alice' }));
      await a.store.revokeToken(jtiOf(huge), 1e18);
      await a.store.revokeSession('huge-session', 1e18);
      await a.store.revokeSubject('huge-subject', Date.now() / 1000, 1e18);
      expect(await a.store.consumeOnce('huge-once', 1e18)).toBe(true);
      expect(await a.store.consumeOnce('huge-once', 1e18)).toBe(false);
      // Reached B through pub/sub, and B refuses the token it had cached.
      await eventually(() => b.store.isRevoked({ jti: jtiOf(huge) }) && b.store.isRevoked({ sid: 'huge-session' }) && b.store.isRevoked({ sub: 'huge-subject', iat: now() - 1 }));
      expect(await b.get(huge)).toEqual(REVOKED);
      // What Redis holds: the bound, never a number it cannot take back as an integer.
      expect(Number(await inspect.zscore('{nss-revocation}:tokens', jtiOf(huge)))).toBe(REVOCATION_MAX_EXPIRES_AT);
      expect(await inspect.expiretime('{nss-revocation}:tokens')).toBe(REVOCATION_MAX_EXPIRES_AT + 1);
      expect(await inspect.expiretime('{nss-revocation}:once:huge-once')).toBe(REVOCATION_MAX_EXPIRES_AT);
      // A normal logout afterwards still reaches B, over HTTP.
      const normal = sign();
      expect(await b.get(normal)).toEqual(ok({ sub: 'alice' }));
      expect(await a.logout(normal)).toBe(201);
      await eventually(async () => (await b.get(normal)).status === 401);
      // A new instance starts and knows all of them.
      await newInstance(async (c) => {
        expect(await c.get(huge)).toEqual(REVOKED);
        expect(await c.get(normal)).toEqual(REVOKED);
        expect(c.store.isRevoked({ sid: 'huge-session' })).toBe(true);
      });
    });

    it('huge expiry written by an older store (a member scored 1e18 already in Redis): a new instance starts, writes reach the others', async () => {
      await inspect.zadd('{nss-revocation}:sessions', 1e18, 'legacy-session');
      await newInstance(async (c) => {
        expect(c.store.isRevoked({ sid: 'legacy-session' })).toBe(true);
        const token = sign();
        expect(await a.get(token)).toEqual(ok({ sub: 'alice' }));
        expect(await c.logout(token)).toBe(201);
        await eventually(async () => (await a.get(token)).status === 401 && (await b.get(token)).status === 401);
      });
      expect(await inspect.expiretime('{nss-revocation}:sessions')).toBe(REVOCATION_MAX_EXPIRES_AT + 1);
    });

    it('Redis killed: no request waits, known revocations refused, a logout applied at once where it is taken, consumeOnce 503; back (empty): nothing lost', async () => {
      const before = sign();
      expect(await a.logout(before)).toBe(201);
      await eventually(() => b.store.isRevoked({ jti: jtiOf(before) }));
      const valid = sign();
      const duringOutage = sign();
      expect(await b.get(duringOutage)).toEqual(ok({ sub: 'alice' })); // cached on B

      await redis.kill();
      // None of these waits for Redis (each answers well within the command timeout).
      const quick = async <T>(call: Promise<T>): Promise<T> => {
        const started = Date.now();
        const answer = await call;
        expect(Date.now() - started).toBeLessThan(COMMAND_TIMEOUT_MS);
        return answer;
      };
      expect(await quick(a.get(before))).toEqual(REVOKED);
      expect(await quick(b.get(before))).toEqual(REVOKED);
      expect(await quick(b.get(valid))).toEqual(ok({ sub: 'alice' }));
      expect(await quick(a.logout(duringOutage))).toBe(201);
      expect(await quick(a.get(duringOutage))).toEqual(REVOKED);
      expect(await quick(b.get(duringOutage))).toEqual(ok({ sub: 'alice' })); // B cannot know until Redis is back
      expect(await quick(a.once('killed'))).toEqual(UNAVAILABLE);
      await expect(quick(b.store.consumeOnce('killed', now() + 60))).rejects.toMatchObject(STORE_UNAVAILABLE);

      await redis.restart(); // empty: no persistence
      await eventually(async () => (await b.get(duringOutage)).status === 401, 10_000);
      expect(await b.get(before)).toEqual(REVOKED);
      expect(await untilAvailable(() => a.once('after-kill'))).toEqual(first(true));
      await newInstance(async (c) => {
        expect(await c.get(before)).toEqual(REVOKED);
        expect(await c.get(duringOutage)).toEqual(REVOKED);
        expect(await c.get(valid)).toEqual(ok({ sub: 'alice' }));
      });
    });

    it('Redis restarted empty: the instances write their revocations back; used one-time ids are lost (hence appendonly yes)', async () => {
      const revoked = sign();
      expect(await a.logout(revoked)).toBe(201);
      await a.store.revokeSubject('carol', Date.now() / 1000, now() + 60);
      expect(await a.once('used-before-restart')).toEqual(first(true));

      await redis.restart();
      await eventually(async () => (await inspect.zscore('{nss-revocation}:tokens', jtiOf(revoked))) !== null, 10_000);
      await eventually(async () => (await inspect.zcard('{nss-revocation}:subjects')) > 0, 10_000);
      expect(await a.get(revoked)).toEqual(REVOKED);
      expect(await b.get(revoked)).toEqual(REVOKED);
      await newInstance(async (c) => {
        expect(await c.get(revoked)).toEqual(REVOKED);
        expect(c.store.isRevoked({ sub: 'carol', iat: now() - 1 })).toBe(true);
      });
      // The documented limit: no instance keeps used one-time ids, so an empty Redis forgets them.
      expect(await untilAvailable(() => a.once('used-before-restart'))).toEqual(first(true));
    });

    it('CLIENT PAUSE WRITE longer than the command timeout: reads unaffected, a logout answers within the timeout, consumeOnce 503 and its retry with the same attempt succeeds once', async () => {
      const token = sign();
      expect(await b.get(token)).toEqual(ok({ sub: 'alice' }));
      const pauseMs = 4 * COMMAND_TIMEOUT_MS;
      const pausedAt = Date.now();
      await inspect.client('PAUSE', pauseMs, 'WRITE');

      const logoutStarted = Date.now();
      expect(await a.logout(token)).toBe(201);
      expect(Date.now() - logoutStarted).toBeLessThan(pauseMs - 200); // waited for the command timeout, not for Redis
      expect(await a.get(token)).toEqual(REVOKED);
      const [onA, withoutAttempt, read, onB] = await Promise.all([
        a.once('paused', 'attempt-1'),
        a.once('paused-without-attempt'),
        b.get(sign()),
        b.store.consumeOnce('paused-on-b', now() + 60).catch((error: unknown) => error),
      ]);
      expect([onA, withoutAttempt, read]).toEqual([UNAVAILABLE, UNAVAILABLE, ok({ sub: 'alice' })]);
      expect(onB).toMatchObject(STORE_UNAVAILABLE);
      expect(Date.now() - pausedAt).toBeLessThan(pauseMs); // still paused: the writes above land later

      await sleep(pausedAt + pauseMs + 100 - Date.now());
      await eventually(async () => (await b.get(token)).status === 401);
      // The write of the timed-out consumeOnce landed after the pause: the same attempt is answered true once.
      expect(await untilAvailable(() => a.once('paused', 'attempt-1'))).toEqual(first(true));
      expect(await b.once('paused', 'attempt-1')).toEqual(first(false)); // ...only once
      expect(await b.once('paused', 'attempt-2')).toEqual(first(false)); // another attempt: reuse
      expect(await b.once('paused')).toEqual(first(false));
      // Without an attempt, the caller cannot tell its own landed write from another's: a retry is reuse.
      expect(await a.once('paused-without-attempt')).toEqual(first(false));
      await newInstance(async (c) => expect(await c.get(token)).toEqual(REVOKED));
    });

    it('CLIENT PAUSE WRITE shorter than the command timeout: writes wait for it, nothing fails', async () => {
      const token = sign();
      await inspect.client('PAUSE', COMMAND_TIMEOUT_MS / 2, 'WRITE');
      const [logout, once] = await Promise.all([a.logout(token), a.once('short-pause', 'attempt-1')]);
      expect([logout, once]).toEqual([201, first(true)]);
      await eventually(async () => (await b.get(token)).status === 401);
    });
  });
});
