import { describeWithRedis, startRedisServer, type RedisServer } from '../utils/redis-server';
import { PLATFORMS } from '../utils/platforms';
import { startSampleProcess, type SampleProcess } from './sample-process';

// Two real sample processes (`node sample/main.ts`) behind one real redis-server, as two instances behind a
// load balancer (README: "Logout and refresh in the sample"): a logout, a refresh-token reuse or a logout
// everywhere on one instance is refused by the other; while Redis is down, no 500; once it is back (empty),
// what was revoked meanwhile is honoured everywhere.
const TIMEOUT = 120_000;
const SECRET_KEY = 'two-instances-test-secret-key-0123456789abcdef';
const PROTECTED = ['/users/me', '/users/me/items', '/status', '/reports', '/greeting', '/passport/me', '/oidc/userinfo'];
const everywhere = (status: number) => Object.fromEntries(PROTECTED.map((path) => [path, status]));

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

async function post(sample: SampleProcess, path: string, form?: Record<string, string>, token?: string): Promise<Answer> {
  const response = await fetch(`${sample.url}${path}`, {
    method: 'POST',
    headers: { ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: form ? new URLSearchParams(form).toString() : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

const login = async (sample: SampleProcess) => (await post(sample, '/token', { username: 'johndoe', password: 'secret', scope: 'me items' })).body;
const refresh = (sample: SampleProcess, refreshToken: string) => post(sample, '/token', { grant_type: 'refresh_token', refresh_token: refreshToken });

/** The status of every protected route on `sample` with this token. */
async function statuses(sample: SampleProcess, token: string): Promise<Record<string, number>> {
  const entries = await Promise.all(
    PROTECTED.map(async (path) => [path, (await fetch(`${sample.url}${path}`, { headers: { authorization: `Bearer ${token}` } })).status] as const),
  );
  return Object.fromEntries(entries);
}

/** Polls until `check` is true (a revocation travels through pub/sub, or waits for a reconnection); fails after `timeoutMs`. */
async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return Date.now() - started;
}

describeWithRedis('sample: two instances sharing revocations through Redis (REDIS_URL)', () => {
  describe.each(PLATFORMS)('%s', (platform) => {
    let redis: RedisServer;
    let a: SampleProcess;
    let b: SampleProcess;

    beforeAll(async () => {
      redis = await startRedisServer();
      const env = { NODE_ENV: 'production', SECRET_KEY, REDIS_URL: redis.url, PLATFORM: platform, LOGIN_LIMIT_PER_CLIENT: '1000', LOGIN_LIMIT_PER_USERNAME: '1000' };
      [a, b] = await Promise.all([startSampleProcess(env), startSampleProcess(env)]);
    }, TIMEOUT);

    afterAll(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      await redis?.stop();
    }, TIMEOUT);

    it('both instances say they share revocations through Redis', () => {
      for (const sample of [a, b]) expect(sample.output()).toContain('Revocations and used refresh tokens are shared through Redis (REDIS_URL).');
      expect(a.output()).not.toContain(redis.url.split('//')[1]); // the URL is not logged
    });

    it('a logout on A: 401 on every protected route of both instances, its refresh token refused by B', async () => {
      const pair = await login(a);
      expect(await statuses(b, pair.access_token)).toEqual(everywhere(200)); // and in B's verified-token cache
      expect((await post(a, '/logout', undefined, pair.access_token)).status).toBe(204);
      expect(await statuses(a, pair.access_token)).toEqual(everywhere(401));
      await eventually(async () => (await statuses(b, pair.access_token))['/users/me'] === 401, 2000);
      expect(await statuses(b, pair.access_token)).toEqual(everywhere(401));
      expect((await refresh(b, pair.refresh_token)).body.error).toBe('invalid_grant');
    }, TIMEOUT);

    it('refresh on A, reuse on B: 400 invalid_grant, and the new pair is refused on both', async () => {
      const first = await login(a);
      const second = await refresh(a, first.refresh_token);
      expect(second.status).toBe(200);
      const reuse = await refresh(b, first.refresh_token);
      expect([reuse.status, reuse.body.error]).toEqual([400, 'invalid_grant']);
      expect(await statuses(b, second.body.access_token)).toEqual(everywhere(401));
      await eventually(async () => (await statuses(a, second.body.access_token))['/users/me'] === 401, 2000);
      expect(await statuses(a, second.body.access_token)).toEqual(everywhere(401));
    }, TIMEOUT);

    it('the same refresh token presented to A and B at once: exactly one instance accepts it', async () => {
      const { refresh_token } = await login(a);
      const answers = await Promise.all([refresh(a, refresh_token), refresh(b, refresh_token)]);
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 400]);
    }, TIMEOUT);

    it('logout everywhere on B: every token of the user refused on A; a login right after works on both', async () => {
      const sessions = [await login(a), await login(b)];
      expect((await post(b, '/logout/all', undefined, sessions[0].access_token)).status).toBe(204);
      await eventually(async () => (await statuses(a, sessions[1].access_token))['/users/me'] === 401, 2000);
      for (const { access_token } of sessions) {
        expect(await statuses(a, access_token)).toEqual(everywhere(401));
        expect(await statuses(b, access_token)).toEqual(everywhere(401));
      }
      const again = await login(a);
      expect(await statuses(b, again.access_token)).toEqual(everywhere(200));
    }, TIMEOUT);

    it('Redis killed: no 500; a refresh is 503 with Retry-After; a logout applies at once; Redis back (empty): A honours it', async () => {
      const revokedBefore = await login(a);
      expect((await post(a, '/logout', undefined, revokedBefore.access_token)).status).toBe(204);
      await eventually(async () => (await statuses(b, revokedBefore.access_token))['/users/me'] === 401, 2000);
      const victim = await login(a);
      const other = await login(a);
      expect(await statuses(a, victim.access_token)).toEqual(everywhere(200)); // cached on A

      await redis.kill();
      // Tokens still work, what was revoked stays refused: no token check needs Redis per request.
      expect(await statuses(a, other.access_token)).toEqual(everywhere(200));
      expect(await statuses(a, revokedBefore.access_token)).toEqual(everywhere(401));
      // A login must be counted by the shared login throttle (login-throttle-redis.e2e-spec.ts): 503, never a 500.
      expect((await post(b, '/token', { username: 'johndoe', password: 'secret' })).status).toBe(503);
      // A refresh needs the atomic check (and its count): 503 with Retry-After, never a 500.
      const refused = await refresh(a, other.refresh_token);
      expect([refused.status, refused.body]).toEqual([503, { statusCode: 503, message: 'Sessions are unavailable, try again later', error: 'Service Unavailable' }]);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      // A logout on B meanwhile: applied on B at once.
      expect((await post(b, '/logout', undefined, victim.access_token)).status).toBe(204);
      expect(await statuses(b, victim.access_token)).toEqual(everywhere(401));
      expect((await statuses(a, victim.access_token))['/users/me']).toBe(200); // A cannot know yet

      await redis.restart(); // empty: no persistence
      await eventually(async () => (await statuses(a, victim.access_token))['/users/me'] === 401, 30_000);
      expect(await statuses(a, victim.access_token)).toEqual(everywhere(401));
      expect(await statuses(a, revokedBefore.access_token)).toEqual(everywhere(401));
      // The refresh token that could not be used during the outage works now, once.
      await eventually(async () => (await refresh(a, other.refresh_token)).status !== 503, 30_000);
      for (const sample of [a, b]) expect(sample.output()).not.toMatch(/ExceptionsHandler|Internal server error/i); // how Nest logs a 500
    }, TIMEOUT);
  });
});
