import { forbidden, ok, outcome, unauthorized } from '../utils/auth';
import { PLATFORMS, type TestApp } from '../utils/platforms';
import { bearer, login, startSample } from './sample-app';

const couldNotValidate = (challenge: string) => ({
  status: 401,
  body: { statusCode: 401, message: 'Could not validate credentials', error: 'Unauthorized' },
  challenge,
});

describe.each(PLATFORMS)('sample: OpenID Connect (%s)', (platform) => {
  let t: TestApp;
  beforeAll(async () => (t = await startSample(platform)));
  afterAll(() => t.close());

  it('serves a discovery document with absolute URLs on the request host', async () => {
    const res = await t.http.get('/.well-known/openid-configuration').set('Host', 'sample.test:8080').expect(200);
    expect(res.body).toStrictEqual({
      issuer: 'http://sample.test:8080',
      token_endpoint: 'http://sample.test:8080/token',
      userinfo_endpoint: 'http://sample.test:8080/oidc/userinfo',
      grant_types_supported: ['password'],
      scopes_supported: ['me', 'items'],
      response_types_supported: ['token'],
      subject_types_supported: ['public'],
      token_endpoint_auth_methods_supported: ['none'],
    });
  });

  describe('GET /oidc/userinfo (scope me)', () => {
    const get = (authorization?: string) => {
      const request = t.http.get('/oidc/userinfo');
      return authorization === undefined ? request : request.set('Authorization', authorization);
    };

    it('returns the claims of the user with me', async () => {
      const token = await login(t.http, 'johndoe', 'secret', 'me');
      expect(outcome(await get(bearer(token)))).toEqual(
        ok({ sub: 'johndoe', name: 'John Doe', email: 'johndoe@example.com' }),
      );
    });

    it('403 without me', async () => {
      const token = await login(t.http, 'johndoe', 'secret');
      expect(outcome(await get(bearer(token)))).toEqual(forbidden('me'));
    });

    it('401 without an Authorization header', async () => {
      expect(outcome(await get())).toEqual(unauthorized('Bearer'));
    });

    it.each([
      ['a tab', '\t'],
      ['a no-break space', '\u00a0'],
      ['no separator', ''],
    ])('401 for %s between Bearer and a valid token, as the schemes parse Authorization', async (_case, separator) => {
      const token = await login(t.http, 'johndoe', 'secret', 'me');
      expect(outcome(await get(`Bearer${separator}${token}`))).toEqual(couldNotValidate('Bearer scope="me"'));
      // The same token after one space is accepted: only the separator differs.
      expect((await get(`Bearer ${token}`)).status).toBe(200);
    });

    it.each(['Bearer not-a-jwt', 'Basic am9objpzZWNyZXQ=', 'Bearer', 'Bearer a b'])(
      '401 "Could not validate credentials" for "%s"',
      async (authorization) => {
        expect(outcome(await get(authorization))).toEqual(couldNotValidate('Bearer scope="me"'));
      },
    );
  });
});
