import { sign } from 'jsonwebtoken';
import { forbidden, outcome } from '../utils/auth';
import { PLATFORMS } from '../utils/platforms';
import { forRootApp, forRootAsyncApp, JWT_SECRET, startApp, type StartedApp } from './app';

// The README's recipe for testing with the real JwtValidator: sign a token locally with the secret the
// application verifies with (jsonwebtoken's sign here; @nestjs/jwt's JwtService.sign works the same way),
// and send it. Nothing is replaced: the signature, exp, the scopes and the claim checks are all real.

const token = (claims: object, options: { expiresIn?: number; secret?: string } = {}) =>
  sign(claims, options.secret ?? JWT_SECRET, { algorithm: 'HS256', expiresIn: options.expiresIn ?? 300 });
const bearer = (value: string) => ({ Authorization: `Bearer ${value}` });

describe.each(PLATFORMS)('testing with a real JwtValidator and a locally signed token (%s)', (platform) => {
  describe.each([
    ['forRoot', forRootApp],
    ['forRootAsync', forRootAsyncApp],
  ])('%s', (_name, appModule) => {
    let t: StartedApp;
    beforeAll(async () => (t = await startApp(platform, appModule())));
    afterAll(() => t.app.close());

    it('lets in a token with the scopes the route requires; the principal is its claims', async () => {
      const answer = await t.http.get('/users/me').set(bearer(token({ sub: 'ann', name: 'ann', scope: 'me items' })));
      expect(answer.status).toBe(200);
      expect(answer.body.user).toMatchObject({ sub: 'ann', scope: 'me items' });
      expect(answer.body.claims).toMatchObject({ sub: 'ann' });
      expect((await t.http.get('/users/me/items').set(bearer(token({ sub: 'ann', name: 'ann', scope: 'me items' })))).body).toEqual({ name: 'ann' });
    });

    it('refuses a token without a required scope with the real 403', async () => {
      expect(outcome(await t.http.get('/users/me/items').set(bearer(token({ sub: 'ann', scope: 'me' }))))).toEqual(forbidden('me items'));
    });

    it('checks claims and step-up on the token', async () => {
      const admin = token({ sub: 'root', name: 'root', scope: 'me', roles: ['admin'], acr: 'urn:mfa' });
      expect((await t.http.get('/users/me/admin').set(bearer(admin))).body).toEqual({ name: 'root' });
      const weak = token({ sub: 'root', scope: 'me', roles: ['admin'], acr: 'urn:pwd' });
      expect((await t.http.get('/users/me/admin').set(bearer(weak))).status).toBe(401);
    });

    it('refuses an expired token and one signed with another secret: 401 invalid_token', async () => {
      for (const refused of [
        token({ sub: 'ann', scope: 'me' }, { expiresIn: -60 }),
        token({ sub: 'ann', scope: 'me' }, { secret: 'another-secret-of-at-least-32-bytes!!' }),
      ]) {
        expect(outcome(await t.http.get('/users/me').set(bearer(refused)))).toEqual({
          status: 401,
          body: { statusCode: 401, message: 'Could not validate credentials', error: 'Unauthorized' },
          challenge: 'Bearer error="invalid_token"',
        });
      }
    });
  });
});
