import { ok, outcome, unauthorized } from '../utils/auth';
import { PLATFORMS, type TestApp } from '../utils/platforms';
import { bearer, login, signToken, startSample } from './sample-app';

const JOHNDOE = { username: 'johndoe', email: 'johndoe@example.com', full_name: 'John Doe', disabled: false };

describe.each(PLATFORMS)('sample: a passport-http-bearer strategy as a validator (%s)', (platform) => {
  let t: TestApp;
  beforeAll(async () => (t = await startSample(platform)));
  afterAll(() => t.close());

  const get = (authorization?: string) => {
    const request = t.http.get('/passport/me');
    return authorization === undefined ? request : request.set('Authorization', authorization);
  };

  it('the strategy accepts a valid access token', async () => {
    const token = await login(t.http, 'johndoe', 'secret');
    expect(outcome(await get(bearer(token)))).toEqual(ok(JOHNDOE));
  });

  it("the strategy's fail() becomes the scheme's 401", async () => {
    expect(outcome(await get(bearer('not-a-jwt')))).toEqual(unauthorized('Bearer'));
    const forged = signToken({ sub: 'johndoe', scope: '' }, 'another-secret-of-at-least-32-bytes!!');
    expect(outcome(await get(bearer(forged)))).toEqual(unauthorized('Bearer'));
  });

  it("a missing or non-bearer Authorization header gets the scheme's 401", async () => {
    expect(outcome(await get())).toEqual(unauthorized('Bearer'));
    expect(outcome(await get('Basic am9objpzZWNyZXQ='))).toEqual(unauthorized('Bearer'));
  });
});
