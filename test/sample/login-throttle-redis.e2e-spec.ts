import { Redis } from 'ioredis';
import { PLATFORMS } from '../utils/platforms';
import { describeWithRedis, startRedisServer, type RedisServer } from '../utils/redis-server';
import { startSampleProcess, type SampleProcess } from './sample-process';

// Two real sample processes (`node sample/main.ts`) behind one real redis-server, as two instances behind a
// load balancer: with REDIS_URL, the login throttle of POST /token (ThrottlerGuard per client, UsernameThrottle
// per user name) counts in Redis, so the attempts made on both instances count together. Every request comes
// from 127.0.0.1: one client for both instances. While Redis is down, a login cannot be counted: 503, never a
// 500 and never an uncounted attempt.
const TIMEOUT = 120_000;
const SECRET_KEY = 'login-throttle-redis-test-secret-key-0123456789';
const PER_CLIENT = 6;
const PER_USERNAME = 3;
const KEY_PREFIX = 'sample:login-throttle:';
const INCORRECT = { statusCode: 400, message: 'Incorrect username or password', error: 'Bad Request' };
const USERNAME_BLOCKED = { statusCode: 429, message: 'Too many login attempts for this user name, try again later', error: 'Too Many Requests' };
const CLIENT_BLOCKED = { statusCode: 429, message: 'ThrottlerException: Too Many Requests' };

interface Answer {
  status: number;
  body: unknown;
  retryAfter: number | null;
}

async function attempt(sample: SampleProcess, username: string, password = 'wrong password'): Promise<Answer> {
  const response = await fetch(`${sample.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password }).toString(),
  });
  const retryAfter = response.headers.get('retry-after');
  return { status: response.status, body: await response.json(), retryAfter: retryAfter === null ? null : Number(retryAfter) };
}

/** `answer` is a 429 (or 503) with `body` and a Retry-After within the window. */
function expectRetryLater(answer: Answer, status: number, body: unknown): void {
  expect({ status: answer.status, body: answer.body }).toEqual({ status, body });
  expect(answer.retryAfter).toBeGreaterThanOrEqual(1);
  expect(answer.retryAfter).toBeLessThanOrEqual(60);
}

describeWithRedis('sample: two instances sharing the login throttle through Redis (REDIS_URL)', () => {
  describe.each(PLATFORMS)('%s', (platform) => {
    let redis: RedisServer;
    let client: Redis;
    let a: SampleProcess;
    let b: SampleProcess;

    /** Every login count of the sample in Redis: all under the sample's prefix. */
    const countKeys = () => client.keys(`${KEY_PREFIX}*`);

    beforeAll(async () => {
      redis = await startRedisServer();
      client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
      client.on('error', () => undefined); // Redis is killed on purpose in the last test
      await client.connect();
      const env = {
        NODE_ENV: 'production',
        SECRET_KEY,
        REDIS_URL: redis.url,
        PLATFORM: platform,
        LOGIN_LIMIT_PER_CLIENT: String(PER_CLIENT),
        LOGIN_LIMIT_PER_USERNAME: String(PER_USERNAME),
        LOGIN_LIMIT_WINDOW_SECONDS: '60',
      };
      [a, b] = await Promise.all([startSampleProcess(env), startSampleProcess(env)]);
    }, TIMEOUT);

    // Each test starts with no count, as on a fresh deployment.
    beforeEach(async () => {
      const keys = await countKeys();
      if (keys.length > 0) await client.del(...keys);
    });

    afterAll(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      client?.disconnect();
      await redis?.stop();
    }, TIMEOUT);

    it('both instances say their login counts are in Redis', () => {
      for (const sample of [a, b]) expect(sample.output()).toContain('Login attempts are counted in Redis (REDIS_URL), shared by every instance.');
      expect(a.output()).not.toContain(redis.url.split('//')[1]); // the URL is not logged
    });

    it(`per client: ${PER_CLIENT - 1} attempts on A, attempt ${PER_CLIENT} on B is allowed, the next is 429 on either`, async () => {
      for (let n = 1; n < PER_CLIENT; n++) {
        const answer = await attempt(a, `client-test-${n}`);
        expect({ n, status: answer.status, body: answer.body }).toEqual({ n, status: 400, body: INCORRECT });
      }
      expect(await countKeys()).not.toEqual([]); // counted in Redis, under the sample's prefix
      const last = await attempt(b, `client-test-${PER_CLIENT}`);
      expect({ status: last.status, body: last.body }).toEqual({ status: 400, body: INCORRECT });
      expectRetryLater(await attempt(b, 'client-test-b'), 429, CLIENT_BLOCKED);
      expectRetryLater(await attempt(a, 'client-test-a'), 429, CLIENT_BLOCKED);
      // The right password of a user not tried yet does not help: the client is blocked, before any name is read.
      expectRetryLater(await attempt(b, 'alice', 'secretalice'), 429, CLIENT_BLOCKED);
    }, TIMEOUT);

    it(`per user name: ${PER_USERNAME - 1} attempts on A, attempt ${PER_USERNAME} on B is allowed, the next is 429 on either`, async () => {
      for (let n = 1; n < PER_USERNAME; n++) {
        const answer = await attempt(a, 'johndoe', `guess-${n}`);
        expect({ n, status: answer.status, body: answer.body }).toEqual({ n, status: 400, body: INCORRECT });
      }
      const last = await attempt(b, 'johndoe', `guess-${PER_USERNAME}`);
      expect({ status: last.status, body: last.body }).toEqual({ status: 400, body: INCORRECT });
      // Even the right password: the name is blocked on every instance (attempts 4 and 5 of this client).
      expectRetryLater(await attempt(b, 'johndoe', 'secret'), 429, USERNAME_BLOCKED);
      expectRetryLater(await attempt(a, 'johndoe', 'secret'), 429, USERNAME_BLOCKED);
      // Another name still logs in (attempt 6 of this client, its last).
      const other = await attempt(a, 'alice', 'secretalice');
      expect(other.status).toBe(200);
    }, TIMEOUT);

    it('Redis killed: a login is 503 with Retry-After on both instances, never a 500; Redis back: logins are counted again', async () => {
      await redis.kill();
      for (const sample of [a, b]) {
        const started = Date.now();
        expectRetryLater(await attempt(sample, 'alice', 'secretalice'), 503, {
          statusCode: 503,
          message: 'Sessions are unavailable, try again later',
          error: 'Service Unavailable',
        });
        expect(Date.now() - started).toBeLessThan(5000); // not held behind the outage
      }
      await redis.restart(); // empty: no persistence
      let answer: Answer;
      const deadline = Date.now() + 30_000;
      do {
        answer = await attempt(b, 'alice', 'secretalice');
        if (answer.status === 200 || Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      } while (answer.status === 503);
      expect(answer.status).toBe(200);
      while (client.status !== 'ready' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100)); // the test's client reconnects by itself
      expect(await countKeys()).not.toEqual([]);
      for (const sample of [a, b]) expect(sample.output()).not.toMatch(/ExceptionsHandler|Internal server error/i); // how Nest logs a 500
    }, TIMEOUT);
  });
});
