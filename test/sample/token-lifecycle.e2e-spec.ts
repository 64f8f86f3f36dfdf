import jwt from 'jsonwebtoken';
import { PLATFORMS, type TestApp } from '../utils/platforms';
import { withEnv } from './env';
import { bearer, loginPair, postRefresh, signToken, startSample } from './sample-app';

/** Every sample route that takes its access tokens, with the scopes johndoe's login asks for (`me items`). */
const PROTECTED = ['/users/me', '/users/me/items', '/status', '/reports', '/greeting', '/passport/me', '/oidc/userinfo'];
const invalidGrant = (message: string) => ({ statusCode: 400, message, error: 'invalid_grant' });
const INVALID_REFRESH = invalidGrant('The refresh token is invalid, expired or revoked');
const REUSED = invalidGrant('The refresh token was already used: every token of its session is revoked');

describe.each(PLATFORMS)('sample: refresh tokens, logout and logout everywhere (%s)', (platform) => {
  let t: TestApp;
  let env: { restore(): void };
  beforeAll(async () => {
    env = withEnv({ LOGIN_LIMIT_PER_CLIENT: '1000', LOGIN_LIMIT_PER_USERNAME: '1000' });
    t = await startSample(platform);
  });
  afterAll(async () => {
    await t.close();
    env.restore();
  });

  const johndoe = () => loginPair(t.http, 'johndoe', 'secret', 'me items');
  /** The status of every protected route with this access token. */
  const statuses = async (accessToken: string) =>
    Object.fromEntries(await Promise.all(PROTECTED.map(async (path) => [path, (await t.http.get(path).set('Authorization', bearer(accessToken))).status])));
  const everywhere = (status: number) => Object.fromEntries(PROTECTED.map((path) => [path, status]));

  describe('POST /token with grant_type=refresh_token', () => {
    it('returns a new pair in the same session, not cacheable; the new access token works everywhere', async () => {
      const first = await johndoe();
      const res = await postRefresh(t.http, first.refresh_token);
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(Object.keys(res.body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'token_type']);
      expect(res.body.access_token).not.toBe(first.access_token);
      expect(res.body.refresh_token).not.toBe(first.refresh_token);
      const [before, after] = [first.refresh_token, res.body.refresh_token].map((token) => jwt.decode(token) as jwt.JwtPayload);
      expect(after.sid).toBe(before.sid);
      expect(after.jti).not.toBe(before.jti);
      expect(after.scope).toBe('me items');
      expect(jwt.decode(res.body.refresh_token, { complete: true })!.header.typ).toBe('rt+jwt');
      expect(await statuses(res.body.access_token)).toEqual(everywhere(200));
    });

    it('rotation: the old refresh token is reuse, 400 invalid_grant, and the new pair is revoked too', async () => {
      const first = await johndoe();
      const second = (await postRefresh(t.http, first.refresh_token).expect(200)).body;
      const reuse = await postRefresh(t.http, first.refresh_token);
      expect([reuse.status, reuse.body]).toEqual([400, REUSED]);
      expect(reuse.headers['cache-control']).toBe('no-store');
      // Thief and victim are both logged out: the whole family is refused.
      expect(await statuses(second.access_token)).toEqual(everywhere(401));
      expect(await statuses(first.access_token)).toEqual(everywhere(401));
      expect((await postRefresh(t.http, second.refresh_token)).body).toEqual(INVALID_REFRESH);
      // Another session of the same user is untouched.
      expect(await statuses((await johndoe()).access_token)).toEqual(everywhere(200));
    });

    it('two refreshes of the same token at once: exactly one wins', async () => {
      const { refresh_token } = await johndoe();
      const answers = await Promise.all([postRefresh(t.http, refresh_token), postRefresh(t.http, refresh_token)]);
      expect(answers.map((res) => res.status).sort()).toEqual([200, 400]);
      const winner = answers.find((res) => res.status === 200)!;
      expect(await statuses(winner.body.access_token)).toEqual(everywhere(401)); // the reuse revoked its session
    });

    it('a retry with the same Idempotency-Key gets a pair once (its first answer may have been lost); a third try, or the token without that key, is reuse', async () => {
      const retried = (await johndoe()).refresh_token;
      const key = 'b3c4d7e0-refresh-attempt-1';
      const first = await postRefresh(t.http, retried).set('Idempotency-Key', key).expect(200);
      const retry = await postRefresh(t.http, retried).set('Idempotency-Key', key).expect(200);
      expect(await statuses(retry.body.access_token)).toEqual(everywhere(200));
      const third = await postRefresh(t.http, retried).set('Idempotency-Key', key);
      expect([third.status, third.body]).toEqual([400, REUSED]);
      for (const { body } of [first, retry]) expect(await statuses(body.access_token)).toEqual(everywhere(401));

      // Another key (a thief who has the token but not the attempt), or none: reuse at the second presentation.
      for (const thiefKey of ['another-key', undefined]) {
        const token = (await johndoe()).refresh_token;
        const won = await postRefresh(t.http, token).set('Idempotency-Key', 'the-users-key').expect(200);
        const replay = postRefresh(t.http, token);
        const answer = await (thiefKey === undefined ? replay : replay.set('Idempotency-Key', thiefKey));
        expect([answer.status, answer.body]).toEqual([400, REUSED]);
        expect(await statuses(won.body.access_token)).toEqual(everywhere(401));
      }
      // The same key with another scope is another request: reuse.
      const scoped = (await johndoe()).refresh_token;
      await postRefresh(t.http, scoped).set('Idempotency-Key', key).expect(200);
      expect((await postRefresh(t.http, scoped, 'me').set('Idempotency-Key', key)).body).toEqual(REUSED);
    });

    it('a narrower scope is granted; a wider one is 400 invalid_scope and does not use up the token', async () => {
      const { refresh_token } = await loginPair(t.http, 'johndoe', 'secret', 'me');
      const wider = await postRefresh(t.http, refresh_token, 'me items');
      expect([wider.status, wider.body]).toEqual([
        400,
        { statusCode: 400, message: 'The requested scope exceeds the scope granted by the resource owner', error: 'invalid_scope' },
      ]);
      const same = await postRefresh(t.http, refresh_token, 'me').expect(200);
      expect((jwt.decode(same.body.access_token) as jwt.JwtPayload).scope).toBe('me');
    });

    it('a refresh token is never an access token, nor the reverse', async () => {
      const pair = await johndoe();
      expect(await statuses(pair.refresh_token)).toEqual({ ...everywhere(401) });
      const res = await postRefresh(t.http, pair.access_token);
      expect([res.status, res.body]).toEqual([400, INVALID_REFRESH]);
      await postRefresh(t.http, pair.refresh_token).expect(200); // the access token did not use it up
    });

    it('garbage, a forged or an expired refresh token: 400 invalid_grant', async () => {
      const { refresh_token } = await johndoe();
      const claims = jwt.decode(refresh_token) as jwt.JwtPayload;
      const expired = jwt.sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 5 }, 'test-secret-key-for-the-sample-e2e-tests-0123456789', { header: { alg: 'HS256', typ: 'rt+jwt' } });
      const forged = jwt.sign(claims, 'another-secret-of-at-least-32-bytes!!', { header: { alg: 'HS256', typ: 'rt+jwt' } });
      for (const token of ['garbage', forged, expired]) {
        const res = await postRefresh(t.http, token);
        expect([res.status, res.body]).toEqual([400, INVALID_REFRESH]);
      }
    });

    it("a disabled user's refresh token: 400 invalid_grant", async () => {
      const alice = await loginPair(t.http, 'alice', 'secretalice', 'me');
      const res = await postRefresh(t.http, alice.refresh_token);
      expect([res.status, res.body]).toEqual([400, invalidGrant('The user of this refresh token cannot have tokens')]);
    });
  });

  describe('POST /logout', () => {
    it('revokes the access token on every protected route, and its refresh tokens', async () => {
      const pair = await johndoe();
      const other = await johndoe(); // another session
      expect(await statuses(pair.access_token)).toEqual(everywhere(200)); // primes the verified-token cache
      await t.http.post('/logout').set('Authorization', bearer(pair.access_token)).expect(204);
      expect(await statuses(pair.access_token)).toEqual(everywhere(401)); // the cache never serves a revoked token
      expect((await postRefresh(t.http, pair.refresh_token)).body).toEqual(INVALID_REFRESH);
      expect(await statuses(other.access_token)).toEqual(everywhere(200));
      await t.http.post('/logout').set('Authorization', bearer(pair.access_token)).expect(401);
    });

    it('of a refreshed session revokes the tokens issued before the refresh too', async () => {
      const first = await johndoe();
      const second = (await postRefresh(t.http, first.refresh_token).expect(200)).body;
      await t.http.post('/logout').set('Authorization', bearer(second.access_token)).expect(204);
      expect(await statuses(first.access_token)).toEqual(everywhere(401));
      expect((await postRefresh(t.http, second.refresh_token)).body).toEqual(INVALID_REFRESH);
    });

    it('without a token: 401', async () => {
      await t.http.post('/logout').expect(401);
      await t.http.post('/logout/all').expect(401);
    });
  });

  describe('POST /logout/all', () => {
    it('refuses every token of the user, in every session; a login right after works', async () => {
      const sessions = [await johndoe(), await johndoe()];
      const refreshed = (await postRefresh(t.http, sessions[1].refresh_token).expect(200)).body;
      for (const { access_token } of [...sessions, refreshed]) expect(await statuses(access_token)).toEqual(everywhere(200));
      await t.http.post('/logout/all').set('Authorization', bearer(sessions[0].access_token)).expect(204);
      for (const { access_token, refresh_token } of [...sessions, refreshed]) {
        expect(await statuses(access_token)).toEqual(everywhere(401));
        expect((await postRefresh(t.http, refresh_token)).body).toEqual(INVALID_REFRESH);
      }
      // In the same second: the sample's `iat` has milliseconds.
      const again = await johndoe();
      expect(await statuses(again.access_token)).toEqual(everywhere(200));
      await postRefresh(t.http, again.refresh_token).expect(200);
    });

    it('refuses the tokens of a session logged in before it even when issued after it (by a refresh that was in flight): the login time counts', async () => {
      const session = await johndoe();
      const { sid, auth_time } = jwt.decode(session.refresh_token) as jwt.JwtPayload;
      expect(auth_time).toBe((jwt.decode(session.refresh_token) as jwt.JwtPayload).iat);
      const rotated = (await postRefresh(t.http, session.refresh_token).expect(200)).body;
      expect((jwt.decode(rotated.access_token) as jwt.JwtPayload).auth_time).toBe(auth_time); // carried by rotation
      await t.http.post('/logout/all').set('Authorization', bearer(session.access_token)).expect(204);
      // What a refresh that passed its checks before the logout would issue after it: same session, new iat.
      const issuedAfter = { sub: 'johndoe', scope: 'me items', sid, auth_time, iat: Date.now() / 1000 + 0.001 };
      expect(await statuses(signToken(issuedAfter))).toEqual(everywhere(401));
      const refreshed = await postRefresh(t.http, signToken(issuedAfter, undefined, undefined, 'rt+jwt'));
      expect([refreshed.status, refreshed.body]).toEqual([400, INVALID_REFRESH]);
      // A session logged in after it is untouched.
      expect(await statuses((await johndoe()).access_token)).toEqual(everywhere(200));
    });
  });
});
