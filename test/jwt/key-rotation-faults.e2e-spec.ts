import { Controller, Get } from '@nestjs/common';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CurrentUser, HTTPBearer, JwtValidator, Security, SecuritySchemesModule, type RefusalReason } from 'nestjs-security-schemes';
import { ok, outcome } from '../utils/auth';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';
import { craftJws, now } from './craft';

const REFUSED = {
  status: 401,
  body: { statusCode: 401, message: 'Could not validate credentials', error: 'Unauthorized' },
  challenge: 'Bearer error="invalid_token"',
};
const withKids = new HTTPBearer({ schemeName: 'withKids' });
const withoutKids = new HTTPBearer({ schemeName: 'withoutKids' });

@Controller()
class MeController {
  @Security(withKids)
  @Get('kids')
  kids(@CurrentUser('sub') sub: string) {
    return { sub };
  }

  @Security(withoutKids)
  @Get('no-kids')
  noKids(@CurrentUser('sub') sub: string) {
    return { sub };
  }
}

const newKey = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const publicJwk = (key: KeyObject, kid?: string) => ({ ...key.export({ format: 'jwk' }), d: undefined, kid, alg: 'ES256', use: 'sig' });

/**
 * An identity provider that replaces a signing key without changing its kid (or publishes no kids at all):
 * the tokens of the old key must stop working at the next fetch of the key set, verified-token cache included.
 */
describe.each(PLATFORMS)('JwtValidator when a key is replaced under the same kid, or in a key set without kids (%s)', (platform) => {
  let server: Server;
  let t: TestApp;
  const reasons: RefusalReason[] = [];
  const [a, b] = [newKey(), newKey()];
  /** What the key-set server publishes at each path: key A at start-up. */
  const published: Record<string, object[]> = { '/kids': [publicJwk(a, 'k1')], '/no-kids': [publicJwk(a)] };
  const claims = () => ({ iss: 'https://idp.test', aud: 'api', sub: 'carol', iat: now(), exp: now() + 300 });
  const get = async (path: string, token: string) => {
    reasons.length = 0;
    return { ...(await t.http.get(path).set('Authorization', `Bearer ${token}`).then(outcome)), reasons: [...reasons] };
  };
  /** The next fetch: a token with a kid the set does not have, once the cooldown has passed. */
  const fetchAgain = async (path: string) => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await get(path, craftJws({ alg: 'ES256', kid: 'not-published' }, claims(), newKey()))).toEqual({ ...REFUSED, reasons: ['unknown_key'] });
  };

  beforeAll(async () => {
    server = createServer((request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ keys: published[request.url!] ?? [] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const options = { issuer: 'https://idp.test', audience: 'api', algorithms: ['ES256'] as const, jwks: { cooldownSeconds: 0.2 } };
    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [
            { scheme: withKids, validator: new JwtValidator({ ...options, algorithms: ['ES256'], jwksUri: `${base}/kids` }) },
            { scheme: withoutKids, validator: new JwtValidator({ ...options, algorithms: ['ES256'], jwksUri: `${base}/no-kids` }) },
          ],
          onRefusal: (refusal) => reasons.push(refusal.reason),
        }),
      ],
      controllers: [MeController],
    });
  });
  afterAll(async () => {
    await t?.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('refuses the cached token of key A once the set serves key B under the same kid', async () => {
    const tokenOfA = craftJws({ alg: 'ES256', kid: 'k1' }, claims(), a);
    expect(await get('/kids', tokenOfA)).toEqual({ ...ok({ sub: 'carol' }), reasons: [] });
    expect(await get('/kids', tokenOfA)).toEqual({ ...ok({ sub: 'carol' }), reasons: [] }); // from the verified-token cache

    published['/kids'] = [publicJwk(b, 'k1')];
    await fetchAgain('/kids');
    expect(await get('/kids', tokenOfA)).toEqual({ ...REFUSED, reasons: ['signature_invalid'] });
    expect(await get('/kids', craftJws({ alg: 'ES256', kid: 'k1' }, claims(), b))).toEqual({ ...ok({ sub: 'carol' }), reasons: [] });
  });

  it('refuses the cached token of key A once a key set without kids serves key B instead', async () => {
    const tokenOfA = craftJws({ alg: 'ES256' }, claims(), a);
    expect(await get('/no-kids', tokenOfA)).toEqual({ ...ok({ sub: 'carol' }), reasons: [] });
    expect(await get('/no-kids', tokenOfA)).toEqual({ ...ok({ sub: 'carol' }), reasons: [] });

    published['/no-kids'] = [publicJwk(b)];
    await fetchAgain('/no-kids');
    expect(await get('/no-kids', tokenOfA)).toEqual({ ...REFUSED, reasons: ['signature_invalid'] });
    expect(await get('/no-kids', craftJws({ alg: 'ES256' }, claims(), b))).toEqual({ ...ok({ sub: 'carol' }), reasons: [] });
  });

});
