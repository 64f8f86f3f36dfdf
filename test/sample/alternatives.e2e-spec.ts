import { ok, outcome, unauthorized } from '../utils/auth';
import { PLATFORMS, type TestApp } from '../utils/platforms';
import { bearer, login, signToken, startSample } from './sample-app';

const COULD_NOT_VALIDATE = {
  status: 401,
  body: { statusCode: 401, message: 'Could not validate credentials', error: 'Unauthorized' },
  challenge: 'Bearer',
};

describe.each(PLATFORMS)('sample: API key or bearer token, and optional auth (%s)', (platform) => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await startSample(platform);
    token = await login(t.http, 'johndoe', 'secret');
  });
  afterAll(() => t.close());

  describe('GET /reports: X-API-Key or a bearer token', () => {
    it('accepts the API key', async () => {
      const res = await t.http.get('/reports').set('X-API-Key', 'sample-service-key');
      expect(outcome(res)).toEqual(ok({ caller: 'reporting', kind: 'service' }));
    });

    it('accepts a bearer token', async () => {
      const res = await t.http.get('/reports').set('Authorization', bearer(token));
      expect(outcome(res)).toEqual(ok({ caller: 'johndoe', kind: 'user' }));
    });

    it('401 with both challenges when neither is sent', async () => {
      expect(outcome(await t.http.get('/reports'))).toEqual(unauthorized('APIKey, Bearer'));
    });

    it('401 for an unknown API key', async () => {
      const res = await t.http.get('/reports').set('X-API-Key', 'sample-service-keY');
      expect(outcome(res)).toEqual(unauthorized('APIKey'));
    });

    it('401 for an invalid bearer token', async () => {
      const res = await t.http.get('/reports').set('Authorization', bearer('not-a-jwt'));
      expect(outcome(res)).toEqual(COULD_NOT_VALIDATE);
    });
  });

  describe('GET /greeting: optional auth', () => {
    it('answers anonymous callers', async () => {
      expect(outcome(await t.http.get('/greeting'))).toEqual(ok({ message: 'Hello, anonymous visitor!' }));
    });

    it('greets a signed-in caller by name', async () => {
      const res = await t.http.get('/greeting').set('Authorization', bearer(token));
      expect(outcome(res)).toEqual(ok({ message: 'Hello, John Doe!' }));
    });

    it('refuses an invalid token rather than treating it as anonymous', async () => {
      const expired = signToken({ sub: 'johndoe', scope: '', exp: Math.floor(Date.now() / 1000) - 1 });
      const res = await t.http.get('/greeting').set('Authorization', bearer(expired));
      expect(outcome(res)).toEqual(COULD_NOT_VALIDATE);
    });
  });
});
