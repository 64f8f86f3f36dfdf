import type { Type } from '@nestjs/common';
import { fakeValidators, type TestCredentials, type TestIdentities } from 'nestjs-security-schemes';
import { basic, forbidden, NOT_AUTHENTICATED, NOT_ENOUGH_PERMISSIONS, outcome, unauthorized } from '../utils/auth';
import { PLATFORMS } from '../utils/platforms';
import { apiKey, forRootApp, forRootAsyncApp, oauth2, ops, partnerKey, session, startApp, type StartedApp } from './app';

// The testing kit: authenticate as a given principal, with given scopes and claims, per scheme, in an
// application whose OAuth2 validator is a JwtValidator instance and whose guard is the global one. Only
// the validators named are replaced: extraction, the 401 challenges and the route checks stay real.

const ann = { id: 1, name: 'ann' };
const root = { id: 2, name: 'root' };
const identities: TestIdentities = {
  [oauth2.schemeName]: {
    ann: { principal: ann, scopes: ['me'], claims: { sub: '1', roles: ['user'] } },
    'ann.items': { principal: ann, scopes: ['me', 'items'] },
    root: { principal: root, scopes: ['me', 'admin'], claims: { sub: '2', roles: ['admin'], acr: 'urn:mfa' } },
    'root.password-only': { principal: root, scopes: ['me', 'admin'], claims: { sub: '2', roles: ['admin'], acr: 'urn:pwd' } },
    'ann.mfa': { principal: ann, scopes: ['me'], claims: { sub: '1', roles: ['user'], acr: 'urn:mfa' } },
  },
  [apiKey.schemeName]: { robot: { principal: { robot: 'nightly' } } },
  [partnerKey.schemeName]: { acme: { principal: { partner: 'acme' } } },
  [session.schemeName]: { s1: { principal: { session: 's1' } } },
};

const INSUFFICIENT_AUTHENTICATION = {
  status: 401,
  body: { statusCode: 401, message: 'Insufficient user authentication', error: 'Unauthorized' },
  challenge:
    'Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="urn:mfa"',
};

describe.each(PLATFORMS)('the testing kit: fakeValidators (%s)', (platform) => {
  describe.each([
    ['forRoot with a JwtValidator instance', forRootApp],
    ['forRootAsync, the validator built in the factory', forRootAsyncApp],
  ] as [string, () => Type][])('%s', (_name, appModule) => {
    let t: StartedApp;
    let login: TestCredentials;
    beforeAll(async () => {
      t = await startApp(platform, appModule(), (moduleRef) => {
        login = fakeValidators(moduleRef, identities);
      });
    });
    afterAll(() => t.app.close());

    it('authenticates as the identity: its principal, and the claims it was granted', async () => {
      const answer = await t.http.get('/users/me').set(login.headers(oauth2, 'ann'));
      expect(login.headers(oauth2, 'ann')).toEqual({ Authorization: 'Bearer ann' });
      expect(outcome(answer)).toEqual({
        status: 200,
        body: { user: ann, required: ['me'], claims: { sub: '1', roles: ['user'] } },
        challenge: undefined,
      });
    });

    it('checks the route scopes against the granted ones: the real 403', async () => {
      expect(outcome(await t.http.get('/users/me/items').set(login.headers(oauth2, 'ann')))).toEqual(forbidden('me items'));
      expect(outcome(await t.http.get('/users/me/items').set(login.headers(oauth2, 'ann.items')))).toEqual({
        status: 200,
        body: { name: 'ann' },
        challenge: undefined,
      });
    });

    it('checks claims and step-up against the granted claims', async () => {
      expect(outcome(await t.http.get('/users/me/admin').set(login.headers(oauth2, 'root')))).toEqual({
        status: 200,
        body: { name: 'root' },
        challenge: undefined,
      });
      expect(outcome(await t.http.get('/users/me/admin').set(login.headers(oauth2, 'root.password-only')))).toEqual(INSUFFICIENT_AUTHENTICATION);
      expect(outcome(await t.http.get('/users/me/admin').set(login.headers(oauth2, 'ann.mfa')))).toEqual({
        status: 403,
        body: NOT_ENOUGH_PERMISSIONS,
        challenge: 'Bearer error="insufficient_scope", scope="me"',
      });
    });

    it("keeps the scheme's extraction and 401: nothing sent, an unknown credential, another auth-scheme", async () => {
      expect(outcome(await t.http.get('/users/me'))).toEqual(unauthorized('Bearer'));
      expect(outcome(await t.http.get('/users/me').set('Authorization', 'Bearer mallory'))).toEqual(unauthorized('Bearer'));
      expect(outcome(await t.http.get('/users/me').set('Authorization', 'Basic ann'))).toEqual(unauthorized('Bearer'));
    });

    it('optional routes: anonymous without credentials, the identity with them, 401 for an unknown one', async () => {
      expect((await t.http.get('/feed')).body).toEqual({ reader: null });
      expect((await t.http.get('/feed').set(login.headers(oauth2, 'ann'))).body).toEqual({ reader: 'ann' });
      expect(outcome(await t.http.get('/feed').set(login.headers(oauth2, 'mallory')))).toEqual(unauthorized('Bearer'));
    });

    it('replaces a provider-class validator too, and AND routes check each scheme', async () => {
      expect(login.headers(apiKey, 'robot')).toEqual({ 'X-API-Key': 'robot' });
      expect(outcome(await t.http.get('/jobs').set(login.headers(apiKey, 'robot')))).toEqual({
        status: 200,
        body: { robot: { robot: 'nightly' } },
        challenge: undefined,
      });
      const both = { ...login.headers(apiKey, 'robot'), ...login.headers(oauth2, 'root') };
      expect((await t.http.get('/jobs/purge').set(both)).status).toBe(200);
      const notAdmin = { ...login.headers(apiKey, 'robot'), ...login.headers(oauth2, 'ann') };
      expect(outcome(await t.http.get('/jobs/purge').set(notAdmin))).toEqual(forbidden('admin'));
      expect(outcome(await t.http.get('/jobs/purge').set(login.headers(oauth2, 'root')))).toEqual(unauthorized('APIKey'));
    });

    it('builds query and cookie credentials for API keys', async () => {
      const partner = login.credentials(partnerKey, 'acme');
      expect(partner).toEqual({ headers: {}, query: { partner_key: 'acme' } });
      expect((await t.http.get('/partners').set(partner.headers).query(partner.query)).body).toEqual({ partner: { partner: 'acme' } });
      expect(() => login.headers(partnerKey, 'acme')).toThrow('TestCredentials: scheme "PartnerKey" reads a query parameter; use credentials()');
      expect(login.headers('Session', 's1')).toEqual({ Cookie: 'session=s1' });
      expect((await t.http.get('/partners/session').set(login.headers(session, 's1'))).body).toEqual({ user: { session: 's1' } });
    });

    it('leaves the schemes it was not given alone: their own validators still decide', async () => {
      expect((await t.http.get('/partners/ops').set('Authorization', basic('ops', 'correct horse'))).body).toEqual({ operator: { name: 'operator' } });
      expect(outcome(await t.http.get('/partners/ops').set('Authorization', basic('ops', 'wrong')))).toEqual(unauthorized('Basic realm="ops"'));
      expect(login.headers(ops, 'ops')).toEqual({ Authorization: `Basic ${Buffer.from('ops:').toString('base64')}` });
    });
  });

  it('works when called after init(), and each call replaces what the scheme accepts', async () => {
    const t = await startApp(platform, forRootApp());
    try {
      // Before: the real JwtValidator refuses a test credential as a malformed token.
      const before = await t.http.get('/users/me').set('Authorization', 'Bearer ann');
      expect({ status: before.status, challenge: before.headers['www-authenticate'] }).toEqual({
        status: 401,
        challenge: 'Bearer error="invalid_token"',
      });
      const login = fakeValidators(t.app, { OAuth2PasswordBearer: { ann: { principal: ann, scopes: ['me'] } } });
      expect((await t.http.get('/users/me').set(login.headers(oauth2, 'ann'))).status).toBe(200);
      fakeValidators(t.app, { OAuth2PasswordBearer: { bob: { principal: { name: 'bob' }, scopes: ['me'] } } });
      expect((await t.http.get('/users/me').set(login.headers(oauth2, 'ann'))).body).toEqual(NOT_AUTHENTICATED);
      expect((await t.http.get('/users/me').set(login.headers(oauth2, 'bob'))).body.user).toEqual({ name: 'bob' });
    } finally {
      await t.app.close();
    }
  });

  it('refuses what would make a test lie, naming the problem', async () => {
    const t = await startApp(platform, forRootApp());
    try {
      expect(() => fakeValidators(t.app, { Bearer: { ann: { principal: ann } } })).toThrow(
        'fakeValidators: no scheme is registered as "Bearer"; registered: OAuth2PasswordBearer, APIKeyHeader, PartnerKey, Session, HTTPBasic.',
      );
      expect(() => fakeValidators(t.app, { OAuth2PasswordBearer: { ann: { principal: null } } })).toThrow(
        'fakeValidators: "OAuth2PasswordBearer" credential "ann": principal must not be falsy',
      );
      expect(() => fakeValidators(t.app, { OAuth2PasswordBearer: { 'ann smith': { principal: ann } } })).toThrow(
        'fakeValidators: "OAuth2PasswordBearer" credential "ann smith": use letters, digits and . _ ~ + / = - only',
      );
      expect(() => fakeValidators(t.app, { OAuth2PasswordBearer: { ann: { principal: ann, scopes: 'me' as unknown as string[] } } })).toThrow(
        'grant(principal, { scopes }): scopes must be an array of strings.',
      );
      // Nothing was replaced by the refused calls: the real validator still refuses the test credential.
      expect((await t.http.get('/users/me').set('Authorization', 'Bearer ann')).headers['www-authenticate']).toBe('Bearer error="invalid_token"');
      const environment = process.env.NODE_ENV;
      process.env.NODE_ENV = 'production';
      try {
        expect(() => fakeValidators(t.app, identities)).toThrow('fakeValidators() replaces security validators for tests; it refuses to run with NODE_ENV=production.');
      } finally {
        process.env.NODE_ENV = environment;
      }
    } finally {
      await t.app.close();
    }
  });
});
