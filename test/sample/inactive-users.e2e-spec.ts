import { PLATFORMS, type TestApp } from '../utils/platforms';
import { bearer, login, startSample } from './sample-app';

const INACTIVE = { statusCode: 400, message: 'Inactive user', error: 'Bad Request' };

// alice is disabled (sample/users/users.data.ts). Her valid token is refused with the tutorial's
// `400 Inactive user` on every route that identifies a user, whatever scheme reads the token; /status
// keeps the tutorial's behaviour (any valid token) and says so in its OpenAPI description.
describe.each(PLATFORMS)('sample: a disabled user (%s)', (platform) => {
  let t: TestApp;
  let alice: string;
  let johndoe: string;

  beforeAll(async () => {
    t = await startSample(platform);
    alice = await login(t.http, 'alice', 'secretalice', 'me');
    johndoe = await login(t.http, 'johndoe', 'secret', 'me items');
  });
  afterAll(() => t.close());

  const ROUTES: [string, string][] = [
    ['GET /users/me', 'OAuth2PasswordBearer'],
    ['GET /oidc/userinfo', 'OpenIdConnect'],
    ['GET /passport/me', 'PassportBearer (a passport strategy)'],
    ['GET /reports', 'the bearer alternative of X-API-Key or a token'],
    ['GET /greeting', 'optional OAuth2PasswordBearer'],
  ];

  it.each(ROUTES)('%s (%s): 400 Inactive user for alice, 200 for johndoe', async (route) => {
    const path = route.split(' ')[1];
    const refused = await t.http.get(path).set('Authorization', bearer(alice));
    expect([refused.status, refused.body]).toEqual([400, INACTIVE]);
    expect((await t.http.get(path).set('Authorization', bearer(johndoe))).status).toBe(200);
  });

  it('POST /logout and POST /logout/all: 400 Inactive user too (her tokens are refused everywhere anyway)', async () => {
    for (const path of ['/logout', '/logout/all']) {
      const response = await t.http.post(path).set('Authorization', bearer(alice));
      expect([path, response.status, response.body]).toEqual([path, 400, INACTIVE]);
    }
  });

  it('GET /users/me/items: refused too (her token cannot carry `items`, so 403 comes first)', async () => {
    expect((await t.http.get('/users/me/items').set('Authorization', bearer(alice))).status).toBe(403);
  });

  it('GET /reports with the service key is not a user: 200', async () => {
    expect((await t.http.get('/reports').set('X-API-Key', 'sample-service-key')).status).toBe(200);
  });

  it('GET /greeting without a token stays anonymous: 200', async () => {
    expect((await t.http.get('/greeting')).body).toEqual({ message: 'Hello, anonymous visitor!' });
  });

  it('GET /status: any valid token, alice included, as in the tutorial', async () => {
    const response = await t.http.get('/status').set('Authorization', bearer(alice));
    expect([response.status, response.body]).toEqual([200, { status: 'ok' }]);
  });

  it("/status's OpenAPI description says so", async () => {
    const document = (await t.http.get('/docs-json').expect(200)).body;
    expect(document.paths['/status'].get.description).toBe(
      "Any valid token, whatever its scopes, even a disabled user's: the tutorial's `get_current_user`. " +
        'Every other route that identifies a user answers `400 Inactive user` to a disabled user.',
    );
  });
});
