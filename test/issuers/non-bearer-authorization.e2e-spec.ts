import { Controller, Get } from '@nestjs/common';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CurrentUser,
  IntrospectionValidator,
  JwtValidator,
  MultiIssuerValidator,
  OAuth2,
  OpenIdConnect,
  Security,
  SecuritySchemesModule,
  type RefusalReason,
} from 'nestjs-security-schemes';
import { basic, ok, outcome, unauthorized } from '../utils/auth';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

const ISSUER = 'https://id.test';
const INVALID_TOKEN = {
  status: 401,
  body: { statusCode: 401, message: 'Could not validate credentials', error: 'Unauthorized' },
  challenge: 'Bearer error="invalid_token"',
};
const oidc = new OpenIdConnect({ schemeName: 'oidc', openIdConnectUrl: `${ISSUER}/.well-known/openid-configuration` });
const oauth2 = new OAuth2({ schemeName: 'oauth2' });
const multi = new OpenIdConnect({ schemeName: 'multi', openIdConnectUrl: `${ISSUER}/.well-known/openid-configuration` });
const jwt = new OpenIdConnect({ schemeName: 'jwt', openIdConnectUrl: `${ISSUER}/.well-known/openid-configuration` });

@Controller()
class ItemsController {
  @Security(oidc)
  @Get('oidc')
  viaOidc(@CurrentUser('sub') sub: string) {
    return { sub };
  }

  @Security(oauth2)
  @Get('oauth2')
  viaOAuth2(@CurrentUser('sub') sub: string) {
    return { sub };
  }

  @Security(multi)
  @Get('multi')
  viaMulti(@CurrentUser('sub') sub: string) {
    return { sub };
  }

  @Security(jwt)
  @Get('jwt')
  viaJwt(@CurrentUser('sub') sub: string) {
    return { sub };
  }
}

/** An introspection endpoint that knows one active token and keeps every token it was sent. */
async function introspectionEndpoint() {
  const received: string[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const token = new URLSearchParams(body).get('token') ?? '';
      received.push(token);
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(token === 'opaque-token' ? { active: true, sub: 'alice', exp: Math.floor(Date.now() / 1000) + 60 } : { active: false }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, received, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/introspect` };
}

/**
 * `OpenIdConnect` and `OAuth2` hand the validator the raw `Authorization` header. A header of another scheme
 * (a user's Basic password) must be refused in the process, never posted to the introspection endpoint.
 */
describe.each(PLATFORMS)('A non-Bearer Authorization header on OpenIdConnect and OAuth2 schemes never leaves the process (%s)', (platform) => {
  let endpoint: Awaited<ReturnType<typeof introspectionEndpoint>>;
  let t: TestApp;
  const reasons: RefusalReason[] = [];
  const get = async (path: string, authorization: string) => {
    reasons.length = 0;
    return { ...(await t.http.get(path).set('Authorization', authorization).then(outcome)), reasons: [...reasons] };
  };

  beforeAll(async () => {
    endpoint = await introspectionEndpoint();
    const introspection = { clientId: 'api', clientSecret: 'api-secret', endpoint: endpoint.url, cache: false as const, inactiveCacheSeconds: 0 };
    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [
            { scheme: oidc, validator: new IntrospectionValidator({ issuer: ISSUER, ...introspection }) },
            { scheme: oauth2, validator: new IntrospectionValidator({ issuer: ISSUER, ...introspection }) },
            { scheme: multi, validator: new MultiIssuerValidator({ issuers: [{ issuer: ISSUER, introspection }], cache: false }) },
            { scheme: jwt, validator: new JwtValidator({ key: 'a-local-secret-of-at-least-32-bytes-for-hs256!', algorithms: ['HS256'] }) },
          ],
          onRefusal: (refusal) => reasons.push(refusal.reason),
        }),
      ],
      controllers: [ItemsController],
    });
  });
  afterAll(async () => {
    await t?.close();
    endpoint.server.closeAllConnections();
    await new Promise((resolve) => endpoint.server.close(resolve));
  });
  beforeEach(() => (endpoint.received.length = 0));

  it.each(['oidc', 'oauth2', 'multi', 'jwt'])('/%s: Basic, Digest and other schemes are a 401 with the Bearer challenge, and no introspection request', async (path) => {
    for (const header of [basic('user', 'pass'), 'Digest username="user", response="6629fae49393a05397450978507c4ef1"', 'Negotiate YIIGhgYGKwYBBQUCoIIGejCCBnag', 'Basic\tdXNlcjpwYXNz']) {
      expect(await get(`/${path}`, header)).toEqual({ ...unauthorized('Bearer'), reasons: ['credentials_missing'] });
    }
    expect(endpoint.received).toEqual([]);
  });

  it.each(['oidc', 'oauth2', 'multi'])('/%s: a Bearer token with spaces in it is refused without an introspection request', async (path) => {
    expect(await get(`/${path}`, 'Bearer opaque-token dXNlcjpwYXNz')).toEqual({ ...INVALID_TOKEN, reasons: ['malformed'] });
    expect(endpoint.received).toEqual([]);
  });

  it.each(['oidc', 'oauth2', 'multi'])('/%s: a Bearer token is introspected as before (one request)', async (path) => {
    expect(await get(`/${path}`, 'Bearer opaque-token')).toEqual({ ...ok({ sub: 'alice' }), reasons: [] });
    expect(await get(`/${path}`, 'bearer   opaque-token')).toEqual({ ...ok({ sub: 'alice' }), reasons: [] });
    expect(endpoint.received).toEqual(['opaque-token', 'opaque-token']);
  });
});
