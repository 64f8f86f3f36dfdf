import { PLATFORMS, type TestApp } from '../utils/platforms';
import { withEnv } from './env';
import { login, postToken, startSample } from './sample-app';

const FLOOD = 24;

describe.each(PLATFORMS)('sample: a login flood waits in a bounded line, then gets 503 (%s)', (platform) => {
  let t: TestApp;
  // One argon2 verification at a time, two more waiting; throttling out of the way.
  let env: { restore(): void };
  beforeAll(async () => {
    env = withEnv({ LOGIN_CONCURRENCY: '1', LOGIN_QUEUE: '2', LOGIN_LIMIT_PER_CLIENT: '1000', LOGIN_LIMIT_PER_USERNAME: '1000' });
    t = await startSample(platform);
  });
  afterAll(async () => {
    await t.close();
    env.restore();
  });

  it('refuses logins beyond the line with 503 and Retry-After, serves the others, then serves normal logins', async () => {
    // Unknown users and a known one: both go through argon2 (the dummy verification) and so through the line.
    const responses = await Promise.all(
      Array.from({ length: FLOOD }, (_, i) => postToken(t.http, { username: i % 2 ? 'johndoe' : `nobody-${i}`, password: 'secret' })),
    );
    const refused = responses.filter((res) => res.status === 503);
    const served = responses.filter((res) => res.status !== 503);
    expect(refused.length).toBeGreaterThan(0);
    for (const res of refused) {
      expect(res.body).toEqual({ statusCode: 503, message: 'Too many logins at once, try again later', error: 'Service Unavailable' });
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
    }
    // The line holds one running and two waiting logins: only requests that found room there were served.
    expect(served.length).toBeGreaterThanOrEqual(1);
    for (const res of served) expect([200, 400]).toContain(res.status);

    // Once the line is empty, logins work as usual.
    await expect(login(t.http, 'johndoe', 'secret')).resolves.toEqual(expect.any(String));
    await postToken(t.http, { username: 'johndoe', password: 'wrong' }).expect(400);
  });
});
