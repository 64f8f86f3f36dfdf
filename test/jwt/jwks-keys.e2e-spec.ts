import { Controller, Get } from '@nestjs/common';
import { createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CurrentUser, HTTPBearer, JwtValidator, Security, SecuritySchemesModule } from 'nestjs-security-schemes';
import { ok, outcome } from '../utils/auth';
import { createTestApp, type TestApp } from '../utils/platforms';
import { craftJws, now } from './craft';

const REFUSED = {
  status: 401,
  body: { statusCode: 401, message: 'Could not validate credentials', error: 'Unauthorized' },
  challenge: 'Bearer error="invalid_token"',
};
const bearer = new HTTPBearer();
const slow = new HTTPBearer({ schemeName: 'Slow' });

@Controller()
class MeController {
  @Security(bearer)
  @Get('me')
  me(@CurrentUser() user: { sub: string }) {
    return { sub: user.sub };
  }

  @Security(slow)
  @Get('slow')
  slow() {
    return {};
  }
}

/** A JWKS endpoint that publishes what an identity provider must not: a symmetric key, a 1024-bit RSA key, an encryption key. */
describe('JwtValidator and the keys of a JWKS', () => {
  const strong = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const encryption = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const secret = randomBytes(32);
  let server: Server;
  let t: TestApp;
  let base: string;
  const claims = () => ({ iss: 'https://idp.test', aud: 'api', sub: 'carol', iat: now(), exp: now() + 60 });
  const get = (path: string, token: string) => t.http.get(path).set('Authorization', `Bearer ${token}`).then(outcome);

  beforeAll(async () => {
    const jwks = {
      keys: [
        { ...strong.publicKey.export({ format: 'jwk' }), kid: 'strong', use: 'sig', alg: 'RS256' },
        { ...weak.publicKey.export({ format: 'jwk' }), kid: 'weak', use: 'sig', alg: 'RS256' },
        { ...encryption.publicKey.export({ format: 'jwk' }), kid: 'enc', use: 'enc' },
        { ...createSecretKey(secret).export({ format: 'jwk' }), kid: 'oct' },
      ],
    };
    server = createServer((req, res) => {
      if (req.url === '/hang') return; // never answers
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(jwks));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const options = { issuer: 'https://idp.test', audience: 'api', algorithms: ['RS256'] as const };
    t = await createTestApp('express', {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [
            { scheme: bearer, validator: new JwtValidator({ ...options, algorithms: ['RS256'], jwksUri: `${base}/jwks` }) },
            { scheme: slow, validator: new JwtValidator({ ...options, algorithms: ['RS256'], jwksUri: `${base}/hang`, jwks: { timeoutMs: 300 } }) },
          ],
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

  it('verifies with a 2048-bit signing key of the set', async () => {
    expect(await get('/me', craftJws({ alg: 'RS256', kid: 'strong' }, claims(), strong.privateKey))).toEqual(ok({ sub: 'carol' }));
  });

  it('refuses tokens signed with a 1024-bit RSA key, an encryption key or the symmetric key of the set', async () => {
    expect(await get('/me', craftJws({ alg: 'RS256', kid: 'weak' }, claims(), weak.privateKey))).toEqual(REFUSED);
    expect(await get('/me', craftJws({ alg: 'RS256', kid: 'enc' }, claims(), encryption.privateKey))).toEqual(REFUSED);
    expect(await get('/me', craftJws({ alg: 'HS256', kid: 'oct' }, claims(), secret))).toEqual(REFUSED);
  });

  it('gives up on a JWKS request after its timeout: 503 with Retry-After', async () => {
    const started = Date.now();
    const answer = await t.http.get('/slow').set('Authorization', `Bearer ${craftJws({ alg: 'RS256', kid: 'strong' }, claims(), strong.privateKey)}`);
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('30');
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
