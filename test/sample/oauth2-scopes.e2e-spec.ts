import jwt from 'jsonwebtoken';
import { forbidden, ok, outcome, unauthorized } from '../utils/auth';
import { PLATFORMS, type TestApp } from '../utils/platforms';
import { bearer, login, postToken, signToken, startSample, TEST_SECRET_KEY } from './sample-app';

const JOHNDOE = { username: 'johndoe', email: 'johndoe@example.com', full_name: 'John Doe', disabled: false };
const ITEMS = [{ item_id: 'Foo', owner: 'johndoe' }];

/** The tutorial's 401 for a token that is present but not valid, with the route's scopes in the challenge. */
const couldNotValidate = (challenge: string) => ({
  status: 401,
  body: { statusCode: 401, message: 'Could not validate credentials', error: 'Unauthorized' },
  challenge,
});

// Nest serves /users/me, /users/me/items and /status; the tutorial's spelling with a trailing slash
// works too (bootstrap.e2e-spec.ts), but createTestApp's Fastify does not ignore trailing slashes.
describe.each(PLATFORMS)('sample: OAuth2 scopes tutorial (%s)', (platform) => {
  let t: TestApp;
  let meToken: string;
  let meItemsToken: string;

  beforeAll(async () => {
    t = await startSample(platform);
    meToken = await login(t.http, 'johndoe', 'secret', 'me');
    meItemsToken = await login(t.http, 'johndoe', 'secret', 'me items');
  });
  afterAll(() => t.close());

  const get = (path: string, token?: string) => {
    const request = t.http.get(path);
    return token === undefined ? request : request.set('Authorization', bearer(token));
  };

  describe('POST /token', () => {
    it('issues an HS256 access token (typ at+jwt) with sub, scope, iat (milliseconds), exp (+30 minutes), jti and sid, not cacheable', async () => {
      const before = Math.floor(Date.now() / 1000);
      const res = await postToken(t.http, { username: 'johndoe', password: 'secret', scope: 'me items' }).expect(200);
      expect(Object.keys(res.body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'token_type']);
      expect(res.body.token_type).toBe('bearer');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['pragma']).toBe('no-cache');
      const decoded = jwt.decode(res.body.access_token, { complete: true })!;
      expect(decoded.header).toEqual({ alg: 'HS256', typ: 'at+jwt' });
      const { exp, iat, jti, sid, auth_time, ...claims } = decoded.payload as jwt.JwtPayload;
      expect(claims).toEqual({ sub: 'johndoe', scope: 'me items' });
      expect([typeof jti, typeof sid]).toEqual(['string', 'string']);
      expect(auth_time).toBe(iat); // the login time, which refreshes carry
      expect(iat! - before).toBeGreaterThanOrEqual(0);
      expect(iat! - before).toBeLessThan(2);
      expect(res.body.expires_in).toBe(1800);
      expect(exp! - before).toBeGreaterThanOrEqual(1800);
      expect(exp! - before).toBeLessThanOrEqual(1802);
      expect(() => jwt.verify(res.body.access_token, TEST_SECRET_KEY, { algorithms: ['HS256'] })).not.toThrow();
    });

    it.each([
      ['a wrong password', 'johndoe', 'wrong'],
      ['an unknown user', 'mallory', 'secret'],
      ['a prototype key as user name', '__proto__', 'secret'],
    ])('400 "Incorrect username or password" for %s', async (_case, username, password) => {
      const res = await postToken(t.http, { username, password }).expect(400);
      expect(res.body).toEqual({ statusCode: 400, message: 'Incorrect username or password', error: 'Bad Request' });
    });

    it('grants only the requested scopes the user may have', async () => {
      const scopeOf = (token: string) => (jwt.decode(token) as jwt.JwtPayload).scope;
      // johndoe may have me and items; unknown scopes are dropped, duplicates merged.
      expect(scopeOf(await login(t.http, 'johndoe', 'secret', 'items admin me items'))).toBe('me items');
      expect(scopeOf(await login(t.http, 'johndoe', 'secret', ''))).toBe('');
      // alice may only have me: asking for items does not get it.
      expect(scopeOf(await login(t.http, 'alice', 'secretalice', 'me items'))).toBe('me');
    });
  });

  describe('GET /users/me (scope me)', () => {
    it('returns the user without the password hash', async () => {
      expect(outcome(await get('/users/me', meToken))).toEqual(ok(JOHNDOE));
    });

    it('403 insufficient_scope without me', async () => {
      const noScopes = await login(t.http, 'johndoe', 'secret');
      expect(outcome(await get('/users/me', noScopes))).toEqual(forbidden('me'));
    });

    it('401 Not authenticated without a token', async () => {
      expect(outcome(await get('/users/me'))).toEqual(unauthorized('Bearer'));
    });

    it('400 "Inactive user" for a disabled user', async () => {
      const aliceToken = await login(t.http, 'alice', 'secretalice', 'me');
      const res = await get('/users/me', aliceToken).expect(400);
      expect(res.body).toEqual({ statusCode: 400, message: 'Inactive user', error: 'Bad Request' });
    });
  });

  describe('GET /users/me/items (scopes me and items)', () => {
    it('returns the items with me and items', async () => {
      expect(outcome(await get('/users/me/items', meItemsToken))).toEqual(ok(ITEMS));
    });

    it('403 with a challenge listing the required scopes, with me only', async () => {
      expect(outcome(await get('/users/me/items', meToken))).toEqual(forbidden('me items'));
    });
  });

  describe('GET /status (any valid token)', () => {
    it('accepts any valid token, whatever its scopes and user', async () => {
      const noScopes = await login(t.http, 'johndoe', 'secret');
      const aliceToken = await login(t.http, 'alice', 'secretalice');
      expect(outcome(await get('/status', noScopes))).toEqual(ok({ status: 'ok' }));
      expect(outcome(await get('/status', aliceToken))).toEqual(ok({ status: 'ok' }));
    });
  });

  describe('invalid tokens: 401 "Could not validate credentials"', () => {
    const now = () => Math.floor(Date.now() / 1000);
    const unsigned = (header: object, payload: object) =>
      [header, payload].map((part) => Buffer.from(JSON.stringify(part)).toString('base64url')).join('.') + '.';
    const tokens: [string, () => string][] = [
      ['expired', () => signToken({ sub: 'johndoe', scope: 'me items', exp: now() - 10 })],
      ['forged (another secret)', () => signToken({ sub: 'johndoe', scope: 'me items' }, 'another-secret-of-at-least-32-bytes!!')],
      ['alg: none', () => unsigned({ alg: 'none', typ: 'JWT' }, { sub: 'johndoe', scope: 'me items', exp: now() + 600 })],
      ['HS512 with the right secret', () => signToken({ sub: 'johndoe', scope: 'me items' }, TEST_SECRET_KEY, 'HS512')],
      ['of an unknown user', () => signToken({ sub: 'mallory', scope: 'me items' })],
      ['without sub', () => signToken({ scope: 'me items' })],
      ['without jti', () => signToken({ sub: 'johndoe', scope: 'me items', jti: undefined })],
      ['without sid', () => signToken({ sub: 'johndoe', scope: 'me items', sid: undefined })],
      ['typ JWT instead of at+jwt', () => signToken({ sub: 'johndoe', scope: 'me items' }, TEST_SECRET_KEY, 'HS256', 'JWT')],
      ['a refresh token (typ rt+jwt)', () => signToken({ sub: 'johndoe', scope: 'me items' }, TEST_SECRET_KEY, 'HS256', 'rt+jwt')],
      ['with a non-string scope', () => signToken({ sub: 'johndoe', scope: ['me', 'items'] })],
      ['not a JWT', () => 'not-a-jwt'],
    ];

    it.each(tokens)('%s', async (_case, makeToken) => {
      const token = makeToken();
      expect(outcome(await get('/users/me', token))).toEqual(couldNotValidate('Bearer scope="me"'));
      expect(outcome(await get('/users/me/items', token))).toEqual(couldNotValidate('Bearer scope="me items"'));
      expect(outcome(await get('/status', token))).toEqual(couldNotValidate('Bearer'));
    });

    it('a token made by the tests with the right secret is accepted (the cases above are not rejected by accident)', async () => {
      expect(outcome(await get('/users/me/items', signToken({ sub: 'johndoe', scope: 'me items' })))).toEqual(ok(ITEMS));
    });
  });
});
