import { PLATFORMS, type TestApp } from '../utils/platforms';
import { withEnv } from './env';
import { login, postToken, startSample } from './sample-app';

const INCORRECT = { statusCode: 400, message: 'Incorrect username or password', error: 'Bad Request' };

// The real @nestjs/throttler: ThrottlerGuard per client, its storage per user name.
describe.each(PLATFORMS)('sample: POST /token limits per user name and per client (%s)', (platform) => {
  let t: TestApp;
  let env: { restore(): void };
  beforeAll(async () => {
    env = withEnv({ LOGIN_LIMIT_PER_USERNAME: '3', LOGIN_LIMIT_PER_CLIENT: '7', LOGIN_LIMIT_WINDOW_SECONDS: '60' });
    t = await startSample(platform);
  });
  afterAll(async () => {
    await t.close();
    env.restore();
  });

  it('the 4th attempt for one user name gets 429 with Retry-After, other names still log in, then the client is limited', async () => {
    for (let attempt = 1; attempt <= 3; attempt++) {
      const res = await postToken(t.http, { username: 'johndoe', password: `guess-${attempt}` });
      expect({ attempt, status: res.status, body: res.body }).toEqual({ attempt, status: 400, body: INCORRECT });
    }
    // Even the right password: the name is blocked for the window.
    const blocked = await postToken(t.http, { username: 'johndoe', password: 'secret' });
    expect(blocked.status).toBe(429);
    expect(blocked.body).toEqual({
      statusCode: 429,
      message: 'Too many login attempts for this user name, try again later',
      error: 'Too Many Requests',
    });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(60);

    // Another user name is not affected (attempts 5 and 6 of this client).
    await expect(login(t.http, 'alice', 'secretalice')).resolves.toEqual(expect.any(String));
    await postToken(t.http, { username: 'mallory', password: 'x' }).expect(400);
    // 7 attempts per client: the 8th is refused by ThrottlerGuard whatever the name.
    await postToken(t.http, { username: 'bob', password: 'x' }).expect(400);
    const client = await postToken(t.http, { username: 'carol', password: 'x' });
    expect(client.status).toBe(429);
    expect(Number(client.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });
});
