import { Controller, Get } from '@nestjs/common';
import { createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import {
  CurrentUser,
  JwtValidator,
  OAuth2ClientCredentialsBearer,
  OpenIdConnect,
  Security,
  SecuritySchemesModule,
} from 'nestjs-security-schemes';
import { forbidden, ok, outcome } from '../utils/auth';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';
import { craftJws, now } from '../jwt/craft';
import { API_AUDIENCE, OTHER_AUDIENCE, TestProvider } from './provider';

const REFUSED = {
  status: 401,
  body: { statusCode: 401, message: 'Could not validate credentials', error: 'Unauthorized' },
  challenge: 'Bearer error="invalid_token"',
};
/** The JWKS is fetched again at most once per this many seconds. */
const COOLDOWN = 2;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const waitCooldown = () => sleep(COOLDOWN * 1000 + 200);

describe.each(PLATFORMS)('JwtValidator against a real OpenID provider (%s)', (platform) => {
  let provider: TestProvider;
  let other: TestProvider;
  let t: TestApp;
  const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const get = (path: string, token: string) => t.http.get(path).set('Authorization', `Bearer ${token}`).then(outcome);
  /** A token with a valid-looking payload for this API, signed by the attacker's key under a made-up kid. */
  const forged = (kid = randomUUID()) =>
    craftJws({ alg: 'RS256', typ: 'at+jwt', kid }, { iss: provider.issuer, aud: API_AUDIENCE, sub: 'x', scope: 'read write', iat: now(), exp: now() + 60 }, attacker);

  beforeAll(async () => {
    [provider, other] = await Promise.all([TestProvider.start(), TestProvider.start()]);
    const machine = new OAuth2ClientCredentialsBearer({ tokenUrl: `${provider.issuer}/token`, scopes: { read: 'Read.', write: 'Write.' } });
    const oidc = new OpenIdConnect({ openIdConnectUrl: `${provider.issuer}/.well-known/openid-configuration` });
    const wrongIssuer = new OAuth2ClientCredentialsBearer({ tokenUrl: `${provider.issuer}/token`, schemeName: 'WrongIssuer' });

    @Controller()
    class ApiController {
      @Security(machine, ['read'])
      @Get('read')
      read(@CurrentUser() claims: { sub: string; client_id: string }) {
        return { sub: claims.sub };
      }

      @Security(machine, ['write'])
      @Get('write')
      write(@CurrentUser() claims: { sub: string }) {
        return { sub: claims.sub };
      }

      @Security(oidc)
      @Get('oidc')
      viaOpenIdConnect(@CurrentUser() user: { client: string }) {
        return user;
      }

      @Security(wrongIssuer)
      @Get('wrong-issuer')
      viaWrongIssuer() {
        return {};
      }
    }

    const byDiscovery = new JwtValidator({
      issuer: provider.issuer,
      audience: API_AUDIENCE,
      algorithms: ['RS256'],
      typ: 'at+jwt',
      jwks: { cooldownSeconds: COOLDOWN, maxAgeSeconds: 3600, timeoutMs: 1000 },
    });
    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [
            { scheme: machine, validator: byDiscovery },
            {
              scheme: oidc,
              validator: new JwtValidator({
                issuer: provider.issuer,
                openIdConnectUrl: oidc.openIdConnectUrl,
                audience: API_AUDIENCE,
                algorithms: ['RS256', 'ES256'],
                toPrincipal: (claims) => ({ client: claims.client_id }),
              }),
            },
            {
              scheme: wrongIssuer,
              validator: new JwtValidator({ issuer: 'https://elsewhere.test', jwksUri: `${provider.issuer}/jwks`, audience: API_AUDIENCE, algorithms: ['RS256'] }),
            },
          ],
        }),
      ],
      controllers: [ApiController],
    });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([provider?.stop(), other?.stop()]);
  });

  it('accepts a client-credentials token from the provider (discovery, then the JWKS)', async () => {
    expect(await get('/read', await provider.clientCredentialsToken())).toEqual(ok({ sub: 'machine' }));
  });

  it('finds the token in the raw header of OpenIdConnect and maps the claims to the user', async () => {
    expect(await get('/oidc', await provider.clientCredentialsToken())).toEqual(ok({ client: 'machine' }));
  });

  it('reads scopes from "scope" and from "scp": 403 insufficient_scope when missing', async () => {
    expect(await get('/write', await provider.clientCredentialsToken('machine', 'read write'))).toEqual(ok({ sub: 'machine' }));
    expect(await get('/write', await provider.clientCredentialsToken('machine', 'read'))).toEqual(forbidden('write'));
    expect(await get('/write', await provider.clientCredentialsToken('machine-scp', 'read write'))).toEqual(ok({ sub: 'machine-scp' }));
    expect(await get('/write', await provider.clientCredentialsToken('machine-scp', 'read'))).toEqual(forbidden('write'));
  });

  it('refuses a token for another audience', async () => {
    expect(await get('/read', await provider.clientCredentialsToken('machine', 'read', OTHER_AUDIENCE))).toEqual(REFUSED);
  });

  it('refuses a token whose issuer is not the configured one', async () => {
    expect(await get('/wrong-issuer', await provider.clientCredentialsToken())).toEqual(REFUSED);
  });

  it('refuses an expired token and a token not yet valid, both signed by the provider', async () => {
    expect(await get('/read', await provider.clientCredentialsToken('machine-expired'))).toEqual(REFUSED);
    expect(await get('/read', await provider.clientCredentialsToken('machine-future'))).toEqual(REFUSED);
  });

  it('refuses alg none with the provider key id', async () => {
    const [key] = (await provider.jwks()).keys;
    const token = await provider.clientCredentialsToken();
    const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    expect(await get('/read', craftJws({ alg: 'none', typ: 'at+jwt', kid: key.kid }, payload))).toEqual(REFUSED);
  });

  it('refuses HS256 signed with the provider public key (key confusion)', async () => {
    const [jwk] = (await provider.jwks()).keys;
    const token = await provider.clientCredentialsToken();
    const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
    for (const secret of [
      Buffer.from(publicKey.export({ format: 'pem', type: 'spki' }) as string),
      Buffer.from(publicKey.export({ format: 'pem', type: 'pkcs1' }) as string),
      publicKey.export({ format: 'der', type: 'spki' }),
      Buffer.from(JSON.stringify(jwk)),
    ]) {
      expect(await get('/read', craftJws({ alg: 'HS256', typ: 'at+jwt', kid: jwk.kid }, payload, secret))).toEqual(REFUSED);
    }
  });

  it('refuses a token of another issuer (another provider)', async () => {
    expect(await get('/read', await other.clientCredentialsToken())).toEqual(REFUSED);
  });

  it('ignores jku, x5u and jwk headers that point at the attacker key', async () => {
    const jwk = { ...createPublicKey(attacker).export({ format: 'jwk' }), kid: 'attacker' };
    const claims = { iss: provider.issuer, aud: API_AUDIENCE, sub: 'x', scope: 'read', iat: now(), exp: now() + 60 };
    for (const header of [{ jwk }, { jku: `${other.issuer}/jwks` }, { x5u: `${other.issuer}/cert.pem` }]) {
      expect(await get('/read', craftJws({ alg: 'RS256', typ: 'at+jwt', kid: 'attacker', ...header }, claims, attacker))).toEqual(REFUSED);
    }
  });

  it('fetches the JWKS at most once per cooldown, however many unknown kids arrive', async () => {
    await waitCooldown();
    const before = await provider.jwksRequests();
    const answers = await Promise.all(Array.from({ length: 40 }, () => get('/read', forged())));
    expect(answers.every((answer) => answer.status === 401 && answer.challenge === REFUSED.challenge)).toBe(true);
    expect(await provider.jwksRequests()).toBe(before + 1);
    for (let i = 0; i < 20; i++) expect(await get('/read', forged())).toEqual(REFUSED);
    expect(await provider.jwksRequests()).toBe(before + 1);
  });

  it('follows a key rotation: the new key is accepted, the old one refused once removed', async () => {
    const oldToken = await provider.clientCredentialsToken('machine', 'read');
    expect(await get('/read', oldToken)).toEqual(ok({ sub: 'machine' }));
    await provider.setKeys(['b', 'a']);
    await waitCooldown();
    const newToken = await provider.clientCredentialsToken('machine', 'read');
    expect(await get('/read', newToken)).toEqual(ok({ sub: 'machine' }));
    expect(await get('/read', oldToken)).toEqual(ok({ sub: 'machine' }));

    await provider.setKeys(['b']);
    await waitCooldown();
    // An unknown kid makes the validator fetch the key set again; the old key is gone from it.
    expect(await get('/read', forged())).toEqual(REFUSED);
    expect(await get('/read', oldToken)).toEqual(REFUSED);
    expect(await get('/read', newToken)).toEqual(ok({ sub: 'machine' }));
  });

  it('keeps verifying with cached keys while the provider is down; an unknown key is a 503 with Retry-After', async () => {
    const fresh = await provider.clientCredentialsToken('machine', 'read');
    await provider.down();
    try {
      expect(await get('/read', fresh)).toEqual(ok({ sub: 'machine' }));
      await waitCooldown();
      const answer = await t.http.get('/read').set('Authorization', `Bearer ${forged()}`);
      expect({ status: answer.status, body: answer.body, retryAfter: answer.headers['retry-after'] }).toEqual({
        status: 503,
        body: { statusCode: 503, message: 'The identity provider is unreachable', error: 'Service Unavailable' },
        retryAfter: String(COOLDOWN),
      });
      // Within the cooldown, nothing is fetched and the answer stays 503 with a shorter or equal Retry-After.
      const again = await t.http.get('/read').set('Authorization', `Bearer ${forged()}`);
      expect(again.status).toBe(503);
      expect(Number(again.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(again.headers['retry-after'])).toBeLessThanOrEqual(COOLDOWN);
      expect(await get('/read', fresh)).toEqual(ok({ sub: 'machine' }));
    } finally {
      await provider.up();
    }
    await waitCooldown();
    expect(await get('/read', forged())).toEqual(REFUSED);
  });
});
