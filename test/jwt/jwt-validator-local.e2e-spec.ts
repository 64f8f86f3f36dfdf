import { Controller, Get } from '@nestjs/common';
import { generateKeyPairSync } from 'node:crypto';
import {
  CurrentUser,
  HTTPBearer,
  JwtValidator,
  OAuth2PasswordBearer,
  Security,
  SecuritySchemesModule,
  type JwtValidatorOptions,
} from 'nestjs-security-schemes';
import { forbidden, ok, outcome } from '../utils/auth';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';
import { craftJws, now } from './craft';

const SECRET = Buffer.from('a-local-secret-of-at-least-32-bytes-for-hs256!');
const bearer = new HTTPBearer({ bearerFormat: 'JWT' });
const oauth2 = new OAuth2PasswordBearer({ tokenUrl: 'token', scopes: { read: 'Read.', write: 'Write.' } });

const REFUSED = {
  status: 401,
  body: { statusCode: 401, message: 'Could not validate credentials', error: 'Unauthorized' },
  challenge: 'Bearer error="invalid_token"',
};

@Controller()
class ClaimsController {
  @Security(bearer)
  @Get('me')
  me(@CurrentUser() user: { sub: string }) {
    return { sub: user.sub };
  }

  @Security(oauth2, ['write'])
  @Get('write')
  write(@CurrentUser() user: { sub: string }) {
    return { sub: user.sub };
  }
}

const valid = (claims: Record<string, unknown> = {}) => ({ sub: 'alice', iss: 'local', aud: 'api', iat: now(), exp: now() + 60, ...claims });
const hs256 = (claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
  craftJws({ alg: 'HS256', typ: 'JWT', ...header }, claims, SECRET);

describe.each(PLATFORMS)('JwtValidator with a local secret (%s)', (platform) => {
  let t: TestApp;
  const get = (path: string, token: string) => t.http.get(path).set('Authorization', `Bearer ${token}`).then(outcome);

  beforeAll(async () => {
    const options: JwtValidatorOptions = { key: SECRET, algorithms: ['HS256'], issuer: 'local', audience: 'api', clockTolerance: 5 };
    const validator = new JwtValidator(options);
    t = await createTestApp(platform, {
      imports: [SecuritySchemesModule.forRoot({ schemes: [{ scheme: bearer, validator }, { scheme: oauth2, validator }] })],
      controllers: [ClaimsController],
    });
  });
  afterAll(() => t.close());

  it('accepts a valid token; the principal is the claims', async () => {
    expect(await get('/me', hs256(valid()))).toEqual(ok({ sub: 'alice' }));
  });

  it.each([
    ['expired', valid({ exp: now() - 10 })],
    ['not yet valid', valid({ nbf: now() + 60 })],
    ['issued in the future', valid({ iat: now() + 60 })],
    ['without exp', valid({ exp: undefined })],
    ['with a non-numeric exp', valid({ exp: '9999999999' })],
    ['of another issuer', valid({ iss: 'elsewhere' })],
    ['for another audience', valid({ aud: 'other-api' })],
  ])('refuses a token %s with invalid_token', async (_, claims) => {
    expect(await get('/me', hs256(claims))).toEqual(REFUSED);
  });

  it('accepts a token expired within the clock tolerance', async () => {
    expect(await get('/me', hs256(valid({ exp: now() - 2 })))).toEqual(ok({ sub: 'alice' }));
  });

  it('accepts one of several audiences', async () => {
    expect(await get('/me', hs256(valid({ aud: ['other', 'api'] })))).toEqual(ok({ sub: 'alice' }));
  });

  it.each([
    ['alg none', craftJws({ alg: 'none' }, valid())],
    ['alg none with a signature', craftJws({ alg: 'none' }, valid(), SECRET).replace(/\.$/, '.c2ln')],
    ['an algorithm that is not allowed (HS512)', craftJws({ alg: 'HS512' }, valid(), Buffer.concat([SECRET, SECRET]))],
    ['another secret', craftJws({ alg: 'HS256' }, valid(), Buffer.from('another-secret-of-at-least-32-bytes-for-hs256'))],
    ['a tampered payload', hs256(valid()).replace(/^([^.]+)\.[^.]+/, (_, h) => `${h}.${Buffer.from(JSON.stringify(valid({ sub: 'root' }))).toString('base64url')}`)],
    ['a critical header', hs256(valid(), { crit: ['exp'] })],
    ['garbage', 'not.a.jwt'],
    ['two parts', 'abc.def'],
  ])('refuses %s', async (_, token) => {
    const answer = await t.http.get('/me').set('Authorization', `Bearer ${token}`);
    expect(outcome(answer)).toEqual(REFUSED);
    expect(JSON.stringify(answer.body) + JSON.stringify(answer.headers)).not.toContain(token);
  });

  it('reads scopes from "scope" and from "scp": 403 insufficient_scope when missing', async () => {
    expect(await get('/write', hs256(valid({ scope: 'read write' })))).toEqual(ok({ sub: 'alice' }));
    expect(await get('/write', hs256(valid({ scp: ['read', 'write'] })))).toEqual(ok({ sub: 'alice' }));
    expect(await get('/write', hs256(valid({ scope: 'read' })))).toEqual(forbidden('write'));
    expect(await get('/write', hs256(valid({ scp: ['read'] })))).toEqual(forbidden('write'));
    expect(await get('/write', hs256(valid()))).toEqual(forbidden('write'));
  });
});

describe('JwtValidator options', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = rsa.publicKey.export({ format: 'pem', type: 'spki' }) as string;

  it.each<[string, JwtValidatorOptions, RegExp]>([
    ['no algorithms', { key: SECRET } as JwtValidatorOptions, /"algorithms" is required/],
    ['alg none', { key: SECRET, algorithms: ['none' as 'HS256'] }, /"none" is not supported/],
    ['HS256 mixed with RS256', { key: SECRET, algorithms: ['HS256', 'RS256'] }, /key confusion/],
    ['a PEM public key as an HMAC secret', { key: pem, algorithms: ['HS256'] }, /PEM key.*HMAC/],
    ['a string secret with RS256', { key: 'a-secret-that-is-long-enough-for-anyone-really', algorithms: ['RS256'] }, /PEM public key/],
    ['a short secret', { key: 'short', algorithms: ['HS256'] }, /at least 32 bytes/],
    ['an RSA key under 2048 bits', { key: generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey, algorithms: ['RS256'] }, /at least 2048 bits/],
    ['an RSA key with ES256', { key: pem, algorithms: ['ES256'] }, /fits none of the algorithms/],
    ['an identity provider without audience', { issuer: 'https://idp.example', algorithms: ['RS256'] }, /"audience" is required/],
    ['an identity provider with HS256', { issuer: 'https://idp.example', audience: 'api', algorithms: ['HS256'] }, /need a local "key"/],
    ['neither a key nor an identity provider', { algorithms: ['RS256'] }, /give "key".*"issuer".*"jwksUri"/],
    ['a key and a JWKS', { key: pem, jwksUri: 'https://idp.example/jwks', algorithms: ['RS256'] }, /not both/],
  ])('refuses %s at construction', (_, options, message) => {
    expect(() => new JwtValidator(options)).toThrow(message);
  });

  it('builds a PEM key, a JWK and a private KeyObject into public key objects', () => {
    expect(() => new JwtValidator({ key: pem, algorithms: ['RS256'] })).not.toThrow();
    expect(() => new JwtValidator({ key: rsa.publicKey.export({ format: 'jwk' }), algorithms: ['RS256', 'PS256'] })).not.toThrow();
    expect(() => new JwtValidator({ key: rsa.privateKey, algorithms: ['RS256'] })).not.toThrow();
  });
});

describe.each(PLATFORMS)('JwtValidator with local public keys by kid (%s)', (platform) => {
  let t: TestApp;
  const ec1 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ec2 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const claims = () => ({ sub: 'bob', iat: now(), exp: now() + 60 });
  const get = (token: string) => t.http.get('/me').set('Authorization', `Bearer ${token}`).then(outcome);

  beforeAll(async () => {
    const validator = new JwtValidator({
      key: [
        { ...ec1.publicKey.export({ format: 'jwk' }), kid: 'k1' },
        { ...ec2.publicKey.export({ format: 'jwk' }), kid: 'k2' },
      ],
      algorithms: ['ES256'],
    });
    t = await createTestApp(platform, {
      imports: [SecuritySchemesModule.forRoot({ schemes: [{ scheme: bearer, validator }, { scheme: oauth2, validatedBy: 'handler' }] })],
      controllers: [ClaimsController],
    });
  });
  afterAll(() => t.close());

  it('verifies with the key of the token kid, or any key without a kid', async () => {
    expect(await get(craftJws({ alg: 'ES256', kid: 'k1' }, claims(), ec1.privateKey))).toEqual(ok({ sub: 'bob' }));
    expect(await get(craftJws({ alg: 'ES256', kid: 'k2' }, claims(), ec2.privateKey))).toEqual(ok({ sub: 'bob' }));
    expect(await get(craftJws({ alg: 'ES256' }, claims(), ec2.privateKey))).toEqual(ok({ sub: 'bob' }));
  });

  it('refuses malformed signatures with invalid_token', async () => {
    const token = craftJws({ alg: 'ES256', kid: 'k1' }, claims(), ec1.privateKey);
    const head = token.slice(0, token.lastIndexOf('.') + 1);
    for (const signature of ['', 'AAAA', 'A'.repeat(86), 'A'.repeat(200)]) {
      expect(await get(`${head}${signature}`)).toEqual(REFUSED);
    }
  });

  it('refuses a token whose kid names another key, or no configured key', async () => {
    expect(await get(craftJws({ alg: 'ES256', kid: 'k2' }, claims(), ec1.privateKey))).toEqual(REFUSED);
    expect(await get(craftJws({ alg: 'ES256', kid: 'k3' }, claims(), ec1.privateKey))).toEqual(REFUSED);
  });
});
