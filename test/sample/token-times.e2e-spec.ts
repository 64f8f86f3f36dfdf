import { createHmac } from 'node:crypto';
import { PLATFORMS, type TestApp } from '../utils/platforms';
import { bearer, login, signToken, startSample, TEST_SECRET_KEY } from './sample-app';

const now = () => Math.floor(Date.now() / 1000);

/** An HS256 token signed with the sample's key over a payload written as raw JSON text (`1e400` stays as it is). */
function signRawPayload(payloadJson: string): string {
  const encode = (text: string) => Buffer.from(text).toString('base64url');
  const input = `${encode(JSON.stringify({ alg: 'HS256', typ: 'at+jwt' }))}.${encode(payloadJson)}`;
  return `${input}.${createHmac('sha256', TEST_SECRET_KEY).update(input).digest('base64url')}`;
}

/** Every route that takes the sample's access tokens, with a token that has the scopes all of them need. */
const ROUTES: [path: string, scheme: 'oauth2' | 'passport' | 'oidc' | 'optional'][] = [
  ['/users/me', 'oauth2'],
  ['/users/me/items', 'oauth2'],
  ['/status', 'oauth2'],
  ['/reports', 'oauth2'],
  ['/greeting', 'optional'],
  ['/passport/me', 'passport'],
  ['/oidc/userinfo', 'oidc'],
];

describe.each(PLATFORMS)('sample: access tokens need a finite exp and no iat/nbf in the future (%s)', (platform) => {
  let t: TestApp;
  beforeAll(async () => (t = await startSample(platform)));
  afterAll(() => t.close());

  const CLAIMS = { sub: 'johndoe', scope: 'me items', jti: 'a-token-id', sid: 'a-session-id' };
  /** jwt.sign would drop an `iat` given with noTimestamp: write the payload as is, exp +10 minutes. */
  const withTimes = (times: Record<string, number>) => signRawPayload(JSON.stringify({ ...CLAIMS, exp: now() + 600, ...times }));
  const refused: [string, () => string][] = [
    ['without exp', () => signRawPayload(JSON.stringify(CLAIMS))],
    ['with exp = 1e400 (Infinity)', () => signRawPayload(`{"sub":"johndoe","scope":"me items","jti":"a-token-id","sid":"a-session-id","exp":1e400}`)],
    ['with exp as a string', () => signRawPayload(JSON.stringify({ ...CLAIMS, exp: String(now() + 600) }))],
    ['with exp = null', () => signRawPayload(JSON.stringify({ ...CLAIMS, exp: null }))],
    ['with iat one hour in the future', () => withTimes({ iat: now() + 3600 })],
    ['with iat = 1e400', () => signRawPayload(`{"sub":"johndoe","scope":"me items","jti":"a-token-id","sid":"a-session-id","exp":${now() + 600},"iat":1e400}`)],
    ['with nbf one hour in the future', () => signToken({ ...CLAIMS, nbf: now() + 3600 })],
    ['with iat two minutes in the future', () => withTimes({ iat: now() + 120 })],
  ];
  const accepted: [string, () => string][] = [
    ['a token from POST /token', () => ''],
    ['iat and nbf now', () => withTimes({ iat: now(), nbf: now() })],
    ['iat and nbf a few seconds ahead (clock tolerance)', () => withTimes({ iat: now() + 10, nbf: now() + 10 })],
  ];

  it.each(refused)('refuses a token %s on every token route', async (_case, makeToken) => {
    const token = makeToken();
    const statuses = await Promise.all(ROUTES.map(async ([path]) => [path, (await t.http.get(path).set('Authorization', bearer(token))).status]));
    expect(Object.fromEntries(statuses)).toEqual(Object.fromEntries(ROUTES.map(([path]) => [path, 401])));
  });

  it.each(accepted)('accepts %s on every token route', async (_case, makeToken) => {
    const token = makeToken() || (await login(t.http, 'johndoe', 'secret', 'me items'));
    const statuses = await Promise.all(ROUTES.map(async ([path]) => [path, (await t.http.get(path).set('Authorization', bearer(token))).status]));
    expect(Object.fromEntries(statuses)).toEqual(Object.fromEntries(ROUTES.map(([path]) => [path, 200])));
  });
});
